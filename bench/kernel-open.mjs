#!/usr/bin/env node
// openKernel + close with no spawn (issue 32 item 1: the kernel opens only agents, events,
// approvals and sessions and holds the other services): the process's CPU time (process.cpuUsage,
// less swayed by a loaded machine than the wall clock) and wall time of the first open in a fresh
// process (modules loading included) and the median of --opens more, each in a fresh workspace
// with the default configuration (memory off). --root measures another build's packages (an A/B).
// Usage: node bench/kernel-open.mjs [--opens 20] [--root /work/main]   (prints one JSON object)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    opens: { type: 'string', default: '20' },
    root: { type: 'string', default: new URL('..', import.meta.url).pathname },
  },
});
const root = resolve(values.root);
const load = (pkg, file = 'index.js') =>
  import(pathToFileURL(join(root, 'packages', pkg, 'dist', file)).href);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { openKernel } = await load('kernel');
const { agentConfigSchema } = await load('types', 'config-full.js');
const importCpuMs = cpuMs(process.cpuUsage(cpu0));
const importMs = performance.now() - t0;

function cpuMs(usage) {
  return (usage.user + usage.system) / 1000;
}

async function openClose() {
  const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-open-'));
  const config = agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    memory: { enabled: false },
  });
  const cpu = process.cpuUsage();
  const start = performance.now();
  const kernel = await openKernel({
    workspace,
    config,
    host: 'test',
    env: { ...process.env, HOME: workspace, OPENAI_API_KEY: 'sk-bench-0123456789' },
    warn: () => {},
  });
  const openCpu = cpuMs(process.cpuUsage(cpu));
  await kernel.close();
  const result = { cpuMs: cpuMs(process.cpuUsage(cpu)), openCpuMs: openCpu, ms: performance.now() - start };
  rmSync(workspace, { recursive: true, force: true });
  return result;
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (x) => Math.round(x * 100) / 100;
const first = await openClose();
const rest = [];
for (let i = 0; i < Number(values.opens); i++) rest.push(await openClose());
console.log(
  JSON.stringify({
    root,
    import_cpu_ms: round(importCpuMs),
    import_ms: round(importMs),
    first_open_close_cpu_ms: round(first.cpuMs),
    first_open_cpu_ms: round(first.openCpuMs),
    first_open_close_ms: round(first.ms),
    open_close_cpu_ms_median: round(median(rest.map((r) => r.cpuMs))),
    open_close_ms_median: round(median(rest.map((r) => r.ms))),
  }),
);
