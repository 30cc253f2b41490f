#!/usr/bin/env node
// What a program pays to run agents through the library (`oxydra/kernel`: openKernel once, one
// spawn per run, as docs/kernel.md shows), against a raw-fetch program doing the same work by
// hand (the same two streamed requests per run to the same mock, the same file read):
//  (a) per run, in a long-lived process: CPU time (user + system) of --runs runs after a
//      warm-up, each program in a process of its own, interleaved; ratio of medians
//      (target <= 1.2x);
//  (b) the whole process for one run (start, one run, exit): wall and CPU time and peak RSS,
//      interleaved, ratio of medians (the CLI's `oxydra run` pays ~1.05x CPU and 84 MB).
// The program imports the published package's `oxydra/kernel` when it is staged (`npm run
// package` leaves build/oxydra/), else the workspace's @oxydra/config and @oxydra/kernel builds;
// the output says which. The mock model is `oxydra mock-llm` in a process of its own.
// --baseline-root DIR adds a third program, the same library program on DIR's workspace builds
// (e.g. main's), interleaved with the two others: ratios against it too (an A/B in one session).
// --baseline-staged DIR does the same with a staged package kept aside (a copy of main's
// build/oxydra, left inside this clone so its dependencies resolve from this node_modules): its
// `oxydra/kernel`, as the program imports this tree's.
// Each program has a workspace (and memory database) of its own, which grows over the rounds as
// a long-lived program's would, the same for each.
// --peer adds two programs, interleaved with the others, ratios to raw for each: `pi`, the same
// work with the peer library @mariozechner/pi-agent-core (a root devDependency; one `Agent` per run,
// pi-ai's OpenAI Chat model pointed at the same mock, the same two streamed requests, a
// `file_read` tool reading notes.txt; it keeps the conversation in memory only: nothing stored, no
// audit, spend or recall), and `library-memory-off`, the library program with
// OXYDRA__MEMORY__ENABLED=false (our default and memory-off per-run cost beside the peer's).
// --statements adds (c) what a run asks of libSQL: each library program (and the baseline) once
// more, --runs runs in a workspace of its own, every statement recorded (turn-statements-preload.mjs)
// between the timed runs' first and last: statements and transactions per run (both databases,
// the kernel database's BEGIN, one exec with its busy-timeout toggles, counted once), and per statement text.
// Usage: node bench/library.mjs [--runs N] [--rounds N] [--baseline-root DIR | --baseline-staged DIR]
//   [--peer] [--statements]
// (prints one JSON object)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockLLM } from '@oxydra/testkit';
import { mockRunEnv, startMockProcess } from './mock-process.mjs';
import { rawFetchHead } from './raw-fetch.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '7' },
    'baseline-root': { type: 'string' },
    'baseline-staged': { type: 'string' },
    statements: { type: 'boolean', default: false },
    peer: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'packages/cli/bin/oxydra.js');
const staged = join(repo, 'build/oxydra');
const work = mkdtempSync(join(tmpdir(), 'oxydra-bench-library-'));
const round = (x) => Math.round(x * 1000) / 1000;
const PRELOAD = fileURLToPath(new URL('./turn-statements-preload.mjs', import.meta.url));

const steps = [
  {
    match: { lastMessageContains: 'Read notes.txt' },
    reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }] },
    times: 'always',
  },
  { match: { lastMessageContains: 'line one' }, reply: { text: 'The file has two lines.' }, times: 'always' },
];
const scenario = join(work, 'scenario.json');
writeFileSync(scenario, JSON.stringify({ steps }));
const baselineRoot = values['baseline-root'];
const baselineStaged = values['baseline-staged'];
if (baselineRoot && baselineStaged) throw new Error('--baseline-root or --baseline-staged, not both');
const names = [
  'library',
  'raw',
  ...(baselineRoot || baselineStaged ? ['baseline'] : []),
  ...(values.peer ? ['library-memory-off', 'pi'] : []),
];
/** A workspace (notes.txt, a home folder inside it) per program. */
const workspaces = Object.fromEntries(names.map((name) => [name, join(work, `ws-${name}`)]));
for (const workspace of Object.values(workspaces)) {
  mkdirSync(join(workspace, 'home'), { recursive: true });
  writeFileSync(join(workspace, 'notes.txt'), 'line one\nline two\n');
}

const { url, child: mock } = await startMockProcess(bin, scenario);
/** A program's environment, its home in `workspace` (by default its own timed one). */
const envOf = (name, workspace = workspaces[name]) => ({
  ...mockRunEnv(process.env, join(workspace, 'home'), url),
  ...(name === 'library-memory-off' ? { OXYDRA__MEMORY__ENABLED: 'false' } : {}),
});
const source = existsSync(join(staged, 'package.json'))
  ? 'the staged oxydra package (build/oxydra)'
  : 'the workspace builds';
try {
  const recorded = await captureRequests();
  const library = writeLibraryProgram('library-program.mjs');
  const programs = {
    library,
    raw: writeRawProgram(new URL(url).origin, recorded),
    ...(baselineRoot ? { baseline: writeLibraryProgram('baseline-program.mjs', baselineRoot) } : {}),
    ...(baselineStaged
      ? { baseline: writeLibraryProgram('baseline-program.mjs', undefined, baselineStaged) }
      : {}),
    ...(values.peer ? { 'library-memory-off': library, pi: writePiProgram(url) } : {}),
  };
  const perRun = measure(programs, runs, (result) => result.cpuPerRunMs);
  const whole = measure(programs, 1, (result) => result.cpuMs);
  const out = {
    bench: 'library',
    node: process.version,
    library_from: source,
    ...(baselineRoot ? { baseline_from: `the workspace builds in ${baselineRoot}` } : {}),
    ...(baselineStaged ? { baseline_from: `the staged package in ${baselineStaged}` } : {}),
    a_per_run_cpu: {
      runs_per_process: runs,
      ...Object.fromEntries(names.map((name) => [`${name}_ms`, summarize(perRun[name].map((r) => r.value))])),
    },
    b_whole_process: Object.fromEntries(names.map((name) => [name, processSummary(whole[name])])),
    ...(values.statements
      ? {
          c_statements_per_run: Object.fromEntries(
            names
              .filter((name) => name !== 'raw' && name !== 'pi')
              .map((name) => [
                name,
                statementsPerRun(name, programs[name], name === 'baseline' ? (baselineRoot ?? repo) : repo),
              ]),
          ),
        }
      : {}),
  };
  const a = out.a_per_run_cpu;
  a.ratio = round(a.library_ms.median_ms / a.raw_ms.median_ms);
  a.target = '<= 1.2x';
  a.meets_target = a.ratio <= 1.2;
  const b = out.b_whole_process;
  b.ratio = {
    wall: round(b.library.wall.median_ms / b.raw.wall.median_ms),
    cpu: round(b.library.cpu.median_ms / b.raw.cpu.median_ms),
  };
  if (values.peer) {
    for (const name of ['library-memory-off', 'pi']) {
      a[`${name}_ratio`] = round(a[`${name}_ms`].median_ms / a.raw_ms.median_ms);
      b[`${name}_ratio`] = {
        wall: round(b[name].wall.median_ms / b.raw.wall.median_ms),
        cpu: round(b[name].cpu.median_ms / b.raw.cpu.median_ms),
        rss: round(b[name].median_peak_rss_mb / b.raw.median_peak_rss_mb),
      };
    }
    a.pi_vs_library = round(a.pi_ms.median_ms / a.library_ms.median_ms);
    a.pi_vs_library_memory_off = round(a.pi_ms.median_ms / a['library-memory-off_ms'].median_ms);
  }
  if (baselineRoot || baselineStaged) {
    b.baseline_ratio = {
      wall: round(b.baseline.wall.median_ms / b.raw.wall.median_ms),
      cpu: round(b.baseline.cpu.median_ms / b.raw.cpu.median_ms),
    };
    a.baseline_ratio = round(a.baseline_ms.median_ms / a.raw_ms.median_ms);
    a.library_vs_baseline = round(a.library_ms.median_ms / a.baseline_ms.median_ms);
    b.library_vs_baseline = {
      wall: round(b.library.wall.median_ms / b.baseline.wall.median_ms),
      cpu: round(b.library.cpu.median_ms / b.baseline.cpu.median_ms),
      rss: round(b.library.median_peak_rss_mb / b.baseline.median_peak_rss_mb),
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  mock.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

/** `rounds` interleaved processes of each program; `pick` takes the figure compared. */
function measure(paths, count, pick) {
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < rounds + 1; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      const began = performance.now();
      const child = spawnSync(
        '/usr/bin/time',
        ['-f', 'cpu %U %S rss %M', process.execPath, paths[name], String(count)],
        {
          cwd: workspaces[name],
          env: envOf(name),
          encoding: 'utf8',
        },
      );
      const wallMs = performance.now() - began;
      if (child.status !== 0) throw new Error(`${name} program failed: ${child.stderr}`);
      if (i === 0) continue; // the first round warms the disk cache
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
      // The whole process's CPU and peak RSS from GNU time (the program's own figure starts after Node's).
      const time = /cpu ([\d.]+) ([\d.]+) rss (\d+)\s*$/.exec(child.stderr);
      if (!time) throw new Error(`GNU time (/usr/bin/time) is needed: ${child.stderr}`);
      const timed = {
        ...result,
        cpuMs: (Number(time[1]) + Number(time[2])) * 1000,
        wallMs,
        rssMb: Number(time[3]) / 1024,
      };
      samples[name].push({ ...timed, value: pick(timed) });
    }
  }
  return samples;
}

/**
 * What one library run asks of libSQL: `program` run once more (--runs runs) in a fresh workspace
 * with every statement recorded, counted between the timed runs' first and last.
 */
function statementsPerRun(name, program, root) {
  const workspace = join(work, `ws-statements-${name}`);
  mkdirSync(join(workspace, 'home'), { recursive: true });
  writeFileSync(join(workspace, 'notes.txt'), 'line one\nline two\n');
  const trace = join(work, `statements-${name}.jsonl`);
  writeFileSync(trace, '');
  const child = spawnSync(process.execPath, ['--import', PRELOAD, program, String(runs)], {
    cwd: workspace,
    env: {
      // The memory-off program's statements with memory off (before, they were the default's).
      ...envOf(name, workspace),
      OXYDRA_BENCH_TRACE: trace,
      OXYDRA_BENCH_ROOT: root,
    },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`${name} program (statements) failed: ${child.stderr}`);
  const { began, ended } = JSON.parse(child.stdout.trim().split('\n').at(-1));
  const statements = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
    .filter((e) => e.conn === 'libsql' && e.t >= began && e.t <= ended);
  // The staged package's bundle may load a libsql of its own, which the preload does not wrap.
  if (statements.length === 0) throw new Error(`${name} program: no libSQL statement recorded (${source})`);
  const byText = new Map();
  for (const { text } of statements) byText.set(text, (byText.get(text) ?? 0) + 1);
  const perRun = (count) => round(count / runs);
  return {
    statements: perRun(statements.length),
    transactions: perRun(statements.filter((e) => /(^|; )BEGIN\b/.test(e.text)).length),
    by_text: Object.fromEntries(
      [...byText].sort((a, b) => b[1] - a[1]).map(([text, count]) => [text.slice(0, 120), perRun(count)]),
    ),
  };
}

function processSummary(list) {
  const rss = list.map((r) => r.rssMb).sort((x, y) => x - y);
  return {
    wall: summarize(list.map((r) => r.wallMs)),
    cpu: summarize(list.map((r) => r.cpuMs)),
    median_peak_rss_mb: round(rss[Math.floor((rss.length - 1) / 2)]),
  };
}

/** The two requests one library run sends, recorded by an in-process mock (not timed). */
async function captureRequests() {
  const recorder = await startMockLLM({ api: 'openai-chat', scenario: steps });
  const program = writeLibraryProgram('recording-program.mjs');
  const workspace = join(work, 'ws-recording');
  mkdirSync(join(workspace, 'home'), { recursive: true });
  writeFileSync(join(workspace, 'notes.txt'), 'line one\nline two\n');
  // Asynchronous: the recorder answers from this process's event loop.
  const child = spawn(process.execPath, [program, '1'], {
    cwd: workspace,
    env: {
      ...mockRunEnv(process.env, join(workspace, 'home'), url),
      OXYDRA__PROVIDERS__REGISTRY__MOCK__BASE_URL: recorder.url,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const status = await new Promise((resolve) => child.once('exit', resolve));
  await recorder.close();
  if (status !== 0 || recorder.requests.length !== 2) {
    throw new Error(
      `library program (recording): exit ${status}, ${recorder.requests.length} requests: ${stderr}`,
    );
  }
  return recorder.requests.map((request) => ({ path: request.path, raw: request.raw }));
}

/** The file `dir`'s exports map names for `entry` (what `import 'oxydra/kernel'` loads). */
function stagedEntry(entry, dir = staged) {
  const { exports } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const target = exports?.[entry]?.default ?? exports?.[entry];
  if (typeof target !== 'string') throw new Error(`${dir}/package.json exports no ${entry}`);
  return join(dir, target);
}

/**
 * The program a library user writes (docs/kernel.md), timing its runs after a warm-up: on this
 * tree's staged package or workspace builds, on `root`'s workspace builds, or on the staged
 * package in `stagedDir`.
 */
function writeLibraryProgram(file, root, stagedDir) {
  const path = join(work, file);
  const imports = stagedDir
    ? `import { loadAgentConfig, openKernel } from ${JSON.stringify(pathToFileURL(stagedEntry('./kernel', stagedDir)).href)};`
    : root === undefined && existsSync(join(staged, 'package.json'))
      ? `import { loadAgentConfig, openKernel } from ${JSON.stringify(pathToFileURL(stagedEntry('./kernel')).href)};`
      : `import { loadAgentConfig } from ${JSON.stringify(pathToFileURL(join(root ?? repo, 'packages/config/dist/index.js')).href)};
import { openKernel } from ${JSON.stringify(pathToFileURL(join(root ?? repo, 'packages/kernel/dist/index.js')).href)};`;
  writeFileSync(
    path,
    `${imports}
const runs = Number(process.argv[2]);
const { config } = await loadAgentConfig({ cwd: process.cwd() });
const kernel = await openKernel({ workspace: process.cwd(), config, host: 'cli' });
async function once() {
  const agent = kernel.agents.spawn({ prompt: 'Read notes.txt' });
  for await (const _ of agent.events);
  const result = await agent.result;
  if (result.status !== 'completed') throw new Error('run ' + result.status + ': ' + JSON.stringify(result.error));
}
${timingTail()}
await kernel.close();
`,
  );
  return path;
}

/** The floor: the same two streamed requests per run, by hand, and the same file read. */
function writeRawProgram(origin, recorded) {
  const path = join(work, 'raw-program.mjs');
  writeFileSync(
    path,
    `${rawFetchHead(origin, recorded)}const runs = Number(process.argv[2]);
async function once() {
  await call(requests[0]);
  await readFile('notes.txt', 'utf8');
  await call(requests[1]);
}
${timingTail()}
`,
  );
  return path;
}

/**
 * The peer: the same work with @mariozechner/pi-agent-core, one `Agent` per run, pi-ai's OpenAI
 * Chat Completions model pointed at the mock, a `file_read` tool reading the file it is asked for.
 */
function writePiProgram(baseUrl) {
  const path = join(work, 'pi-program.mjs');
  // Literal specifiers, so knip sees the two devDependencies used.
  const agentCore = JSON.stringify(import.meta.resolve('@mariozechner/pi-agent-core'));
  const ai = JSON.stringify(import.meta.resolve('@mariozechner/pi-ai'));
  writeFileSync(
    path,
    `import { readFile } from 'node:fs/promises';
import { Agent } from ${agentCore};
import { Type } from ${ai};
const runs = Number(process.argv[2]);
const model = {
  id: 'bench-model',
  name: 'bench-model',
  api: 'openai-completions',
  provider: 'mock',
  baseUrl: ${JSON.stringify(baseUrl)},
  reasoning: false,
  input: ['text'],
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  contextWindow: 128000,
  maxTokens: 4096,
};
const fileRead = {
  name: 'file_read',
  label: 'Read file',
  description: 'Read a UTF-8 text file in the workspace.',
  parameters: Type.Object({ path: Type.String({ description: 'File path' }) }),
  execute: async (_id, params) => ({
    content: [{ type: 'text', text: await readFile(params.path, 'utf8') }],
    details: {},
  }),
};
async function once() {
  const agent = new Agent({
    initialState: { systemPrompt: 'You are a helpful assistant.', model, tools: [fileRead] },
    getApiKey: () => 'sk-bench',
  });
  agent.subscribe(() => {});
  await agent.prompt('Read notes.txt');
  const messages = agent.state.messages;
  const last = messages.at(-1);
  const text = last?.content?.map((part) => part.text ?? '').join('');
  if (messages.length !== 4 || last.role !== 'assistant' || text !== 'The file has two lines.') {
    throw new Error('pi run: ' + JSON.stringify(messages.slice(1)));
  }
}
${timingTail()}
`,
  );
  return path;
}

/** Shared by all the programs: warm-up (when timing many runs), the timed runs, one JSON line. */
function timingTail() {
  return `const cpuMs = (usage) => (usage.user + usage.system) / 1000;
if (runs > 1) for (let i = 0; i < 20; i++) await once();
const began = performance.timeOrigin + performance.now();
const before = process.cpuUsage();
for (let i = 0; i < runs; i++) await once();
const timed = process.cpuUsage(before);
const ended = performance.timeOrigin + performance.now();
process.stdout.write(JSON.stringify({ cpuPerRunMs: cpuMs(timed) / runs, began, ended }) + '\\n');`;
}
