#!/usr/bin/env node
// The agent loop's own cost, for one run of 2 streamed model calls + 1 file_read:
//  (a) in-process with a scripted in-memory provider (no HTTP), averaged over --runs runs
//      (target < 0.5 ms per run);
//  (b) in-process: the same run through the testkit's HTTP mock (OpenAI Chat wire, in this
//      process), interleaved with a raw-fetch floor doing the same work by hand (the same two
//      requests, each streamed body read chunk by chunk, and the same file read); medians and
//      their ratio (target <= 1.3x);
//  (c) `oxydra run` as a whole process (default configuration: memory on, sandbox auto) against
//      a mock in another process, interleaved with a raw-fetch *process* (a node script sending
//      the same two streamed requests to the same mock and reading the same file): medians of
//      wall time, their ratio (target <= 1.4x) and peak RSS (target <= 100 MB).
// The processes keep the caller's environment (an ordinary one: e.g. NODE_EXTRA_CA_CERTS, which
// every Node process pays for at start-up, is kept), except that HOME and the configuration
// folders point into a throwaway folder and OXYDRA_* variables are dropped, so no real
// configuration is read; the mock provider is selected through OXYDRA__* variables.
// Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the maximum resident set size of the
// process) when installed, else from sampling /proc/<pid>/status (VmHWM) at exit; the output says
// which.
// Usage: node bench/agent-loop.mjs [--runs N] [--http-runs N] [--process-runs N]
//          [--trusted-workspace] [--baseline OTHER/packages/cli/bin/oxydra.js]   (one JSON object)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADAPTER_FACTORIES, synthesizeModelInfo } from '@oxydra/provider';
import { startAgentRun } from '@oxydra/runtime';
import { startMockLLM } from '@oxydra/testkit';
import { createCoreTools, ToolRegistry } from '@oxydra/tools';
import { readNotesScenarioFile, startMockProcess } from './mock-process.mjs';
import { rawFetchHead } from './raw-fetch.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    'http-runs': { type: 'string', default: '300' },
    'process-runs': { type: 'string', default: '20' },
    // (c) with the mock provider set in the workspace's own .oxydra/agent.toml (base_url: a key
    // that needs trust), trusted with `oxydra trust --yes`: what a trusted workspace pays.
    'trusted-workspace': { type: 'boolean', default: false },
    // (c) also times another build's bin/oxydra.js, interleaved (e.g. the previous commit's).
    baseline: { type: 'string' },
  },
});
const runs = Number(values.runs);
const httpRuns = Number(values['http-runs']);
const processRuns = Number(values['process-runs']);
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
const round = (x) => Math.round(x * 1000) / 1000;
const ratio = (a, b) => Math.round((a / b) * 100) / 100;

const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-'));
const NOTES = 'line one\nline two\n';
writeFileSync(join(workspace, 'notes.txt'), NOTES);
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
  execute: async () => ({ content: NOTES, isError: false, durationMs: 0 }),
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

// (b) In-process, through the HTTP mock, against raw fetch doing the same work by hand.
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
const origin = new URL(mock.url).origin;
/** One request sent by hand, its SSE body read as it streams (as a client printing it would). */
const rawStreamed = async (request) => {
  const response = await fetch(`${origin}${request.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: request.raw,
  });
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body) text += decoder.decode(chunk, { stream: true });
  return text;
};
const rawRun = async () => {
  await rawStreamed(first);
  await readFile(join(workspace, 'notes.txt'), 'utf8');
  await rawStreamed(second);
};
const http = [];
const floor = [];
for (let i = 0; i < 30; i++) {
  mock.reset();
  await oneRun(httpProvider);
  await rawRun();
}
for (let i = 0; i < httpRuns; i++) {
  // Alternate which goes first, so neither always runs on a just-warmed connection.
  for (const which of i % 2 === 0 ? ['loop', 'raw'] : ['raw', 'loop']) {
    mock.reset();
    const start = performance.now();
    if (which === 'loop') await oneRun(httpProvider);
    else await rawRun();
    (which === 'loop' ? http : floor).push(performance.now() - start);
  }
}
await mock.close();
const httpLoop = summarize(http);
const httpFloor = summarize(floor);

// (c) Whole processes, the mock served by a separate process.
const scenarioPath = readNotesScenarioFile(workspace);
const home = mkdtempSync(join(tmpdir(), 'oxydra-bench-home-'));
const env = runEnv(home);
const requests = await captureRequests(scenarioPath);
const { url, child: server } = await startMockProcess(bin, scenarioPath);
if (values['trusted-workspace']) {
  delete env.OXYDRA__PROVIDERS__REGISTRY__MOCK__PROVIDER_TYPE;
  mkdirSync(join(workspace, '.oxydra'), { recursive: true });
  writeFileSync(
    join(workspace, '.oxydra', 'agent.toml'),
    `[providers.registry.mock]\nprovider_type = "openai"\nbase_url = "${url}"\n`,
  );
  const trusted = spawnSync(process.execPath, [bin, 'trust', '--yes'], {
    cwd: workspace,
    env,
    encoding: 'utf8',
  });
  if (trusted.status !== 0) throw new Error(`oxydra trust --yes failed: ${trusted.stderr}`);
} else {
  env.OXYDRA__PROVIDERS__REGISTRY__MOCK__BASE_URL = url;
}
// The baseline build keeps its own workspace: its databases are of its own schema version.
const baselineWorkspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-baseline-'));
cpSync(join(workspace, 'notes.txt'), join(baselineWorkspace, 'notes.txt'));
if (values['trusted-workspace']) {
  cpSync(join(workspace, '.oxydra', 'agent.toml'), join(baselineWorkspace, '.oxydra', 'agent.toml'));
}
const rawScript = writeRawScript(new URL(url).origin, requests);
const hasGnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
const commands = {
  oxydra: [bin, 'run', '--json', 'Read notes.txt'],
  raw_fetch: [rawScript],
  ...(values.baseline ? { baseline: [values.baseline, 'run', '--json', 'Read notes.txt'] } : {}),
};
const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, { wall: [], rssKb: [] }]));
for (let i = 0; i < processRuns + 2; i++) {
  const names = Object.keys(commands);
  const order = i % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const { elapsed, rssKb } = await timeProcess(
      commands[name],
      name === 'baseline' ? baselineWorkspace : workspace,
    );
    if (i < 2) continue; // warm-up (the first run also fills the sandbox probe cache)
    samples[name].wall.push(elapsed);
    if (rssKb !== undefined) samples[name].rssKb.push(rssKb);
  }
}
server.kill('SIGTERM');
rmSync(workspace, { recursive: true, force: true });
rmSync(baselineWorkspace, { recursive: true, force: true });
rmSync(home, { recursive: true, force: true });

/** The caller's environment with a throwaway HOME and config folders, and the mock selected. */
function runEnv(dir) {
  const kept = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OXYDRA')));
  for (const sub of ['.config', '.cache', '.local/state', '.local/share', 'etc']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  return {
    ...kept,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_CACHE_HOME: join(dir, '.cache'),
    XDG_STATE_HOME: join(dir, '.local/state'),
    XDG_DATA_HOME: join(dir, '.local/share'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(dir, 'etc'),
    OXYDRA__PROVIDERS__REGISTRY__MOCK__PROVIDER_TYPE: 'openai',
    OXYDRA__SELECTION__PROVIDER: 'mock',
    OXYDRA__SELECTION__MODEL: 'bench-model',
  };
}

/** The two requests one `oxydra run` sends, recorded by an in-process mock (not timed). */
async function captureRequests(path) {
  const steps = JSON.parse(readFileSync(path, 'utf8')).steps;
  const recorder = await startMockLLM({ api: 'openai-chat', scenario: steps });
  const child = spawn(process.execPath, [bin, 'run', '--json', 'Read notes.txt'], {
    cwd: workspace,
    env: { ...env, OXYDRA__PROVIDERS__REGISTRY__MOCK__BASE_URL: recorder.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  await recorder.close();
  if (code !== 0 || recorder.requests.length !== 2) {
    throw new Error(`oxydra run (recording) exited ${code}, ${recorder.requests.length} requests: ${stderr}`);
  }
  return recorder.requests.map((request) => ({ path: request.path, raw: request.raw }));
}

/**
 * The floor: a node script sending the same two streamed requests to the same mock (the second
 * after reading the same file), printing the answer's text, then exiting as `oxydra` does
 * (without waiting for idle keep-alive sockets).
 */
function writeRawScript(mockOrigin, recorded) {
  const path = join(workspace, 'raw-fetch.mjs');
  writeFileSync(
    path,
    `${rawFetchHead(mockOrigin, recorded)}await call(requests[0]);
await readFile('notes.txt', 'utf8');
process.stdout.write((await call(requests[1])) + '\\n');
process.exit(0);
`,
  );
  return path;
}

/** One process run: wall time from spawn to exit, and its peak RSS (GNU time, else /proc). */
async function timeProcess(args, cwd) {
  const argv = hasGnuTime
    ? ['/usr/bin/time', ['-f', '%M', process.execPath, ...args]]
    : [process.execPath, args];
  const start = performance.now();
  const child = spawn(argv[0], argv[1], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  // Without GNU time: VmHWM (the peak) read from /proc while the process lives, every 2 ms.
  let hwm;
  const sampler = hasGnuTime
    ? undefined
    : setInterval(() => {
        try {
          const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (match) hwm = Number(match[1]);
        } catch {}
      }, 2);
  const code = await new Promise((resolve) => child.once('close', resolve));
  const elapsed = performance.now() - start;
  if (sampler) clearInterval(sampler);
  if (code !== 0 || !stdout.includes('two lines')) {
    throw new Error(`${args.join(' ')} exited ${code}: ${stderr}\n${stdout}`);
  }
  const rssKb = hasGnuTime ? Number(stderr.trim().split('\n').at(-1)) : hwm;
  return { elapsed, rssKb };
}

function processSummary({ wall, rssKb }) {
  const sorted = [...rssKb].sort((a, b) => a - b);
  return {
    ...summarize(wall),
    peak_rss_mb: sorted.length ? round(sorted.at(-1) / 1024) : null,
    median_rss_mb: sorted.length ? round(sorted[Math.floor((sorted.length - 1) / 2)] / 1024) : null,
  };
}
const oxydra = processSummary(samples.oxydra);
const raw = processSummary(samples.raw_fetch);
const baseline = samples.baseline ? processSummary(samples.baseline) : undefined;
const processRatio = ratio(oxydra.median_ms, raw.median_ms);
const httpRatio = ratio(httpLoop.median_ms, httpFloor.median_ms);
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
      b_in_process: {
        runs: httpRuns,
        loop: httpLoop,
        raw_fetch: httpFloor,
        raw_fetch_note: 'the same two requests by fetch, bodies read as streams, and the same file read',
        ratio: httpRatio,
        added_ms: round(httpLoop.median_ms - httpFloor.median_ms),
        target: 'ratio <= 1.3',
        meets_target: httpRatio <= 1.3,
      },
      c_process: {
        runs: processRuns,
        environment: "the caller's, with HOME and the XDG folders in a throwaway folder and OXYDRA* dropped",
        rss_source: hasGnuTime ? 'GNU time %M (max RSS)' : '/proc/<pid>/status VmHWM sampled every 2 ms',
        workspace_config: values['trusted-workspace']
          ? 'the mock provider in the workspace .oxydra/agent.toml, trusted'
          : 'the mock provider through OXYDRA__* variables, no .oxydra/',
        oxydra_run: oxydra,
        raw_fetch_process: raw,
        ratio: processRatio,
        ...(baseline
          ? {
              baseline: { bin: values.baseline, ...baseline },
              vs_baseline: ratio(oxydra.median_ms, baseline.median_ms),
            }
          : {}),
        target: 'ratio <= 1.4, oxydra peak RSS <= 100 MB',
        meets_target: processRatio <= 1.4 && (oxydra.peak_rss_mb === null || oxydra.peak_rss_mb <= 100),
      },
    },
    null,
    2,
  )}\n`,
);
