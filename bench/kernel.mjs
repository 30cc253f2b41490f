#!/usr/bin/env node
// The kernel's costs, against a zero-latency in-process provider (every provider type answers
// from memory through the kernel's own adapters seam), in the default configuration otherwise
// (sandbox "auto", so openKernel probes it as a user's would):
//  (a) openKernel to ready, memory on (a libSQL file) and off: median of interleaved opens
//      (target ≤ 100 ms, ZoeyOS's "< 100 ms startup"), plus the first (cold) open;
//  (b) spawn() overhead (synchronous; target ≤ 0.2 ms) and one tool dispatch through the whole
//      registry pipeline (a no-op tool, and file_read of a real file; target p99 ≤ 1 ms);
//  (c) agent turns per second through the kernel, persistence off (median of 3 rounds) and on
//      (target ≥ 10,000/s off);
//  (d) 1,000 idle agents held by one kernel: heap per agent (target ≤ 50 KB);
//  (e) `oxydra run` as a whole process (wall, median) against a mock in another process, and the
//      same for --baseline-bin (an earlier build's bin/oxydra.js), interleaved.
// Usage: node --expose-gc bench/kernel.mjs [--turns N] [--baseline-bin PATH]   (prints one JSON object)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openKernel } from '@oxydra/kernel';
import { instantProvider, scriptedAdapters } from '@oxydra/testkit';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { mockRunEnv, readNotesScenarioFile, startMockProcess } from './mock-process.mjs';
import { percentile, summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    turns: { type: 'string', default: '20000' },
    opens: { type: 'string', default: '15' },
    'process-runs': { type: 'string', default: '10' },
    'baseline-bin': { type: 'string' },
    /** Only (e): the whole-process comparison. */
    'process-only': { type: 'boolean', default: false },
  },
});
const round = (x) => Math.round(x * 1000) / 1000;
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

// The testkit's zero-latency provider, built for every provider type the config may select.
const adapters = scriptedAdapters(instantProvider());

const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-kernel-'));
writeFileSync(join(workspace, 'notes.txt'), 'line one\nline two\n');
const env = { ...process.env, OPENAI_API_KEY: 'sk-bench-0123456789' };
const config = (memory) =>
  agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    memory: { enabled: memory, db_path: join(workspace, `bench-${Math.random().toString(36).slice(2)}.db`) },
  });
const open = (memory) =>
  openKernel({ workspace, config: config(memory), host: 'test', env, adapters, warn: () => {} });
const gc = () => globalThis.gc?.();

async function inProcess() {
  // (a) openKernel to ready.
  const coldStart = performance.now();
  await (await open(false)).close();
  const coldMs = performance.now() - coldStart;
  const openOn = [];
  const openOff = [];
  for (let i = 0; i < Number(values.opens); i++) {
    for (const [memory, samples] of [
      [true, openOn],
      [false, openOff],
    ]) {
      const start = performance.now();
      const kernel = await open(memory);
      samples.push(performance.now() - start);
      await kernel.close();
    }
  }

  // (b) spawn overhead and one tool dispatch.
  const kernel = await open(false);
  kernel.describe(); // the assembly is made once; spawn reuses it
  for (let i = 0; i < 2000; i++) await kernel.agents.spawn({ prompt: 'warm' }).result;
  const spawnBatch = 2000;
  const spawnSamples = [];
  for (let round = 0; round < 10; round++) {
    const handles = [];
    const start = performance.now();
    for (let i = 0; i < spawnBatch; i++) handles.push(kernel.agents.spawn({ prompt: 'x' }));
    spawnSamples.push((performance.now() - start) / spawnBatch);
    await Promise.all(handles.map((h) => h.result));
  }
  const { ToolRegistry, createCoreTools } = await import('@oxydra/tools');
  // The pipeline alone (lookup, argument validation, deadline, truncation, secret and path
  // scrubbing) around a tool that does nothing, and the same around file_read (real file I/O).
  const echo = {
    name: 'bench_echo',
    description: 'returns its text',
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    safety: 'read_only',
    execute: async (args) => String(args.text),
  };
  const pipeline = new ToolRegistry(
    [
      ...createCoreTools({ shell: config(false).tools.shell, webSearch: config(false).tools.web_search }),
      echo,
    ],
    { approval: 'auto', secrets: ['sk-bench-0123456789'] },
  );
  const context = { workspace, signal: new AbortController().signal };
  async function dispatchTimes(call) {
    for (let i = 0; i < 500; i++) await pipeline.execute(call, context);
    const samples = [];
    for (let i = 0; i < 5000; i++) {
      const start = performance.now();
      await pipeline.execute(call, context);
      samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b);
  }
  const dispatch = await dispatchTimes({ id: 'c1', name: 'bench_echo', arguments: { text: 'hello' } });
  const fileRead = await dispatchTimes({ id: 'c2', name: 'file_read', arguments: { path: 'notes.txt' } });

  // (c) turns per second: batches of concurrent agents, persistence off then on.
  async function turnsPerSecond(target, persist) {
    const k = persist ? await open(true) : kernel;
    const total = persist ? Math.min(target, 2000) : target;
    const concurrency = 200;
    const start = performance.now();
    let done = 0;
    while (done < total) {
      const batch = [];
      for (let i = 0; i < concurrency && done + i < total; i++) {
        batch.push(k.agents.spawn({ prompt: 'turn', persist }).result);
      }
      const results = await Promise.all(batch);
      if (results.some((r) => r.status !== 'completed')) throw new Error('a bench turn failed');
      done += batch.length;
    }
    const elapsed = performance.now() - start;
    if (persist) await k.close();
    return {
      turns: total,
      seconds: Math.round(elapsed) / 1000,
      per_second: Math.round((total / elapsed) * 1000),
    };
  }
  // Persistence off: the median of three rounds (a round's rate moves with the JIT and the GC).
  const rounds = [];
  for (let i = 0; i < 3; i++) rounds.push(await turnsPerSecond(Number(values.turns), false));
  rounds.sort((a, b) => a.per_second - b.per_second);
  const off = { ...rounds[1], rounds_per_second: rounds.map((r) => r.per_second) };
  const on = await turnsPerSecond(Number(values.turns), true);

  // (d) 1,000 idle agents.
  gc();
  const idleKernel = await open(false);
  idleKernel.describe();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const idle = [];
  for (let i = 0; i < 1000; i++)
    idle.push(idleKernel.agents.spawn({ prompt: `agent ${i}`, keepAlive: true }));
  await Promise.all(idle.map((h) => h.result));
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const idleCount = (await idleKernel.resources()).agents.idle;
  await idleKernel.close();
  await kernel.close();
  return {
    open_kernel_ms: {
      cold_first_open: round(coldMs),
      memory_on: summarize(openOn),
      memory_off: summarize(openOff),
      target_ms: 100,
    },
    spawn_overhead_ms: {
      median: round(
        percentile(
          [...spawnSamples].sort((a, b) => a - b),
          50,
        ),
      ),
      target_ms: 0.2,
    },
    tool_dispatch_ms: {
      pipeline_noop_tool: { median: round(percentile(dispatch, 50)), p99: round(percentile(dispatch, 99)) },
      file_read_real_file: { median: round(percentile(fileRead, 50)), p99: round(percentile(fileRead, 99)) },
      target_p99_ms: 1,
    },
    turns_per_second: { persistence_off: off, persistence_on: on, target_off: 10_000 },
    idle_agents: {
      agents: idleCount,
      heap_per_agent_kb: round((heapAfter - heapBefore) / 1000 / 1024),
      gc_exposed: typeof globalThis.gc === 'function',
      target_kb: 50,
    },
  };
}

// (e) `oxydra run` as a whole process.
const processRuns = Number(values['process-runs']);
const inProcessResults = values['process-only'] ? {} : await inProcess();
const processResult = await wholeProcess(values['baseline-bin']);
rmSync(workspace, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    bench: 'kernel',
    node: process.version,
    ...inProcessResults,
    oxydra_run_process: processResult,
  })}\n`,
);

async function wholeProcess(baselineBin) {
  const { url, child: server } = await startMockProcess(bin, readNotesScenarioFile(workspace));
  const runEnv = mockRunEnv(process.env, workspace, url);
  const bins = { current: bin, ...(baselineBin ? { baseline: baselineBin } : {}) };
  const samples = Object.fromEntries(Object.keys(bins).map((name) => [name, []]));
  const cpuSamples = Object.fromEntries(Object.keys(bins).map((name) => [name, []]));
  const hasGnuTime = spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status === 0;
  // A workspace each: each build keeps its own memory database (an older one refuses a newer schema).
  const folders = Object.fromEntries(
    Object.keys(bins).map((name) => {
      const folder = join(workspace, `run-${name}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'notes.txt'), 'line one\nline two\n');
      return [name, folder];
    }),
  );
  for (let i = 0; i < processRuns + 2; i++) {
    for (const [name, path] of Object.entries(bins)) {
      const start = performance.now();
      // CPU time (user + system, from GNU time) is steadier than wall time on a busy machine.
      const argv = [process.execPath, path, 'run', '--json', 'Read notes.txt'];
      const result = hasGnuTime
        ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', ...argv], {
            cwd: folders[name],
            env: runEnv,
            encoding: 'utf8',
          })
        : spawnSync(argv[0], argv.slice(1), { cwd: folders[name], env: runEnv, encoding: 'utf8' });
      const elapsed = performance.now() - start;
      if (result.status !== 0) throw new Error(`${name} oxydra run failed: ${result.stderr}`);
      if (i < 2) continue;
      samples[name].push(elapsed);
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
      if (cpu) cpuSamples[name].push((Number(cpu[1]) + Number(cpu[2])) * 1000);
    }
  }
  server.kill('SIGTERM');
  const out = Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [
      name,
      { wall: summarize(list), ...(hasGnuTime ? { cpu: summarize(cpuSamples[name]) } : {}) },
    ]),
  );
  if (out.baseline) {
    out.ratio_current_to_baseline = {
      wall: round(out.current.wall.median_ms / out.baseline.wall.median_ms),
      ...(hasGnuTime ? { cpu: round(out.current.cpu.median_ms / out.baseline.cpu.median_ms) } : {}),
    };
  }
  return out;
}
