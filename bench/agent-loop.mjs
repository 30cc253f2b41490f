#!/usr/bin/env node
// The agent loop's own cost, for one run of 2 model calls + 1 file_read:
//  (a) in-process with a scripted in-memory provider (no HTTP), averaged over --runs runs
//      (target < 0.5 ms per run);
//  (b) the same run through the testkit's HTTP mock (OpenAI Chat wire, in-process), next to the
//      floor of two raw fetches of the same two requests;
//  (c) `oxydra run` as a whole process against a mock in another process: wall time and peak
//      RSS (target < 300 ms and < 100 MB; the field's leader publishes ~1.9 s and ~580 MB).
// Usage: node bench/agent-loop.mjs [--runs N] [--process-runs N]   (prints one JSON object)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADAPTER_FACTORIES, synthesizeModelInfo } from '@oxydra/provider';
import { startAgentRun } from '@oxydra/runtime';
import { startMockLLM } from '@oxydra/testkit';
import { createCoreTools, ToolRegistry } from '@oxydra/tools';
import { mockRunEnv, startMockProcess } from './mock-process.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1000' }, 'process-runs': { type: 'string', default: '20' } },
});
const runs = Number(values.runs);
const processRuns = Number(values['process-runs']);
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-'));
writeFileSync(join(workspace, 'notes.txt'), 'line one\nline two\n');
const tools = new ToolRegistry(
  createCoreTools({
    shell: {
      enabled: false,
      allow: ['*'],
      deny: [],
      allow_operators: true,
      env_keys: [],
      command_timeout_secs: 60,
    },
  }),
  { approval: 'auto' },
);
const model = synthesizeModelInfo('openai', 'bench-model');
const base = {
  model,
  tools,
  workspace,
  systemPrompt: 'You are a benchmark.',
  prompt: 'Read notes.txt',
  budgets: { maxTurns: 10, turnTimeoutMs: 60_000 },
};

// (a) A provider that answers from memory: first a file_read call, then a text answer.
const memoryProvider = {
  name: 'memory',
  type: 'openai',
  async *stream(context) {
    const first = !context.messages.some((m) => m.role === 'tool');
    if (first) {
      yield { type: 'tool_call_start', index: 0, id: 'call_1', name: 'file_read' };
      yield { type: 'tool_call_delta', index: 0, argumentsDelta: '{"path":"notes.txt"}' };
      yield {
        type: 'tool_call_end',
        index: 0,
        id: 'call_1',
        name: 'file_read',
        arguments: { path: 'notes.txt' },
        rawArguments: '{"path":"notes.txt"}',
      };
      yield { type: 'usage', usage: { inputTokens: 100, outputTokens: 10 } };
      yield { type: 'finish', reason: 'tool_calls', rawReason: 'tool_calls' };
    } else {
      yield { type: 'text_delta', text: 'The file has two lines.' };
      yield { type: 'usage', usage: { inputTokens: 130, outputTokens: 8 } };
      yield { type: 'finish', reason: 'stop', rawReason: 'stop' };
    }
  },
};

async function oneRun(provider, overrides = {}) {
  const run = startAgentRun({ ...base, provider, ...overrides });
  for await (const _event of run.events);
  const result = await run.result;
  if (result.status !== 'completed') throw new Error(`run ${result.status}: ${result.error?.message}`);
}

// The same run with file_read answered from memory too: the loop's own cost, no file I/O.
const memoryTools = {
  specs: () => tools.specs(),
  spec: (name) => tools.spec(name),
  execute: async () => ({ content: 'line one\nline two\n', isError: false, durationMs: 0 }),
};

async function timeRuns(options) {
  for (let i = 0; i < 200; i++) await oneRun(memoryProvider, options);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await oneRun(memoryProvider, options);
    samples.push(performance.now() - start);
  }
  return samples;
}
const loopOnly = await timeRuns({ tools: memoryTools });
const inMemory = await timeRuns({});
const meanOf = (list) => list.reduce((a, b) => a + b, 0) / list.length;
const mean = meanOf(inMemory);

// (b) Through the HTTP mock.
const scenario = [
  {
    match: { callIndex: 0 },
    reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }] },
  },
  { reply: { text: 'The file has two lines.' }, times: 'always' },
];
const mock = await startMockLLM({ api: 'openai-chat', scenario });
const httpProvider = ADAPTER_FACTORIES.openai({ name: 'mock', baseURL: mock.url, apiKey: 'sk-bench' });
await oneRun(httpProvider);
const [first, second] = mock.requests;
const rawFetch = async (request) => {
  const response = await fetch(`${new URL(mock.url).origin}${request.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: request.raw,
  });
  await response.arrayBuffer();
};
const httpRuns = Math.min(runs, 300);
const http = [];
const floor = [];
for (let i = 0; i < 30; i++) {
  mock.reset();
  await oneRun(httpProvider);
}
for (let i = 0; i < httpRuns; i++) {
  mock.reset();
  let start = performance.now();
  await oneRun(httpProvider);
  http.push(performance.now() - start);
  mock.reset();
  start = performance.now();
  await rawFetch(first);
  await rawFetch(second);
  floor.push(performance.now() - start);
}
await mock.close();

// (c) The whole `oxydra run` process, the mock served by a separate process.
const { url, child: server } = await startMockProcess(bin, writeScenario());
const env = mockRunEnv({ PATH: process.env.PATH }, workspace, url);
const hasGnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
const wall = [];
const rssKb = [];
for (let i = 0; i < processRuns + 2; i++) {
  const start = performance.now();
  const args = hasGnuTime
    ? ['/usr/bin/time', ['-f', '%M', process.execPath, bin, 'run', '--json', 'Read notes.txt']]
    : [process.execPath, [bin, 'run', '--json', 'Read notes.txt']];
  const result = spawnSync(args[0], args[1], { cwd: workspace, env, encoding: 'utf8' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`oxydra run failed: ${result.stderr}`);
  if (i < 2) continue; // warm-up
  wall.push(elapsed);
  if (hasGnuTime) rssKb.push(Number(result.stderr.trim().split('\n').at(-1)));
}
server.kill('SIGTERM');
rmSync(workspace, { recursive: true, force: true });

function writeScenario() {
  const path = join(workspace, 'scenario.json');
  writeFileSync(
    path,
    JSON.stringify({
      steps: [
        // Each process run starts with the prompt as the last message; after the tool runs, the
        // last message is the file's content, so the second step answers.
        {
          match: { lastMessageContains: 'Read notes.txt' },
          reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }] },
          times: 'always',
        },
        { reply: { text: 'The file has two lines.' }, times: 'always' },
      ],
    }),
  );
  return path;
}

const round = (x) => Math.round(x * 1000) / 1000;
const processWall = summarize(wall);
const peakRssMb = rssKb.length ? round(Math.max(...rssKb) / 1024) : null;
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'agent-loop',
      node: process.version,
      a_in_memory: {
        runs,
        mean_ms: round(mean),
        ...summarize(inMemory),
        target: 'mean < 0.5 ms',
        meets_target: mean < 0.5,
        loop_only_mean_ms: round(meanOf(loopOnly)),
        loop_only_note: 'the same run with file_read answered from memory: the loop without file I/O',
      },
      b_http_mock: { runs: httpRuns, loop: summarize(http), raw_fetch_floor: summarize(floor) },
      c_process: {
        runs: processRuns,
        wall: processWall,
        peak_rss_mb: peakRssMb,
        target: 'median wall < 300 ms, peak RSS < 100 MB',
        meets_target: processWall.median_ms < 300 && (peakRssMb === null || peakRssMb < 100),
      },
    },
    null,
    2,
  )}\n`,
);
