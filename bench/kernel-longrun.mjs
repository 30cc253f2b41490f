#!/usr/bin/env node
// A long-lived kernel (issue 32 item 4): one openKernel, then many agent turns (batches of 200
// concurrent spawns, as bench/kernel.mjs (c)) against the testkit's zero-latency provider, with
// the audit chain and budgets on as by default. Every --every turns it records the rate of that
// slice and the process's RSS and heap, so growth shows as a slope: the target is turns/s and
// RSS flat (last slice ≤ 1.1× the first after warm-up) over 100,000 turns, persistence off and
// on. --root runs the same loop against another build's packages (an A/B in one session).
// --prompts distinct gives every turn a prompt of its own (a few words drawn from a small
// vocabulary and the turn's number) instead of the same 'turn' each time: with persistence on,
// recall searches each prompt, and the vector side remembers a repeated query's scan
// (packages/memory/src/store/libsql/search-index/query-memo.ts), so the same prompt measures its
// best case and distinct prompts the full scan of every stored code a new query pays.
// --prompts sentences gives every turn a sentence of the synthetic corpus bench/memory.mjs
// searches (search-corpus.mjs: function words and a 30,000-word Zipf vocabulary, 6-17 words):
// distinct's 40 words make every prompt word mid-frequency (each in a tenth of the prompts, under
// the 1,500 chunks that make a word common until ~15,000 turns), the worst case of the full-text
// side's ranking; real text has a few such words in a prompt among rare and common ones.
// Usage: node --expose-gc bench/kernel-longrun.mjs [--turns 100000] [--every 10000]
//        [--persist] [--prompts same|distinct|sentences] [--audit-max N] [--root /work/base]
//        (prints one JSON object)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus } from './search-corpus.mjs';

const { values } = parseArgs({
  options: {
    turns: { type: 'string', default: '100000' },
    every: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '200' },
    persist: { type: 'boolean', default: false },
    prompts: { type: 'string', default: 'same' },
    /** [audit] max_entries: small to reach the pruning regime within the run. */
    'audit-max': { type: 'string' },
    root: { type: 'string', default: new URL('..', import.meta.url).pathname },
  },
});
if (!['same', 'distinct', 'sentences'].includes(values.prompts)) {
  process.stderr.write(`--prompts must be "same", "distinct" or "sentences", not "${values.prompts}"\n`);
  process.exit(2);
}
const root = resolve(values.root);
// Deterministic, so two builds in an A/B search the same prompts.
const VOCABULARY = (
  'alpha build cache deploy error file gateway health index job kernel log memory network ' +
  'order patch query retry schema session table token update vector worker budget audit ' +
  'config branch client commit disk event folder limit model note plan report review search'
).split(' ');
const corpus = makeCorpus(42);
/** The first sentence of the corpus's next note (seeded: the same prompts in an A/B). */
const sentence = () => corpus.note().content.split('. ')[0];
const promptOf = (n) =>
  values.prompts === 'same'
    ? 'turn'
    : values.prompts === 'sentences'
      ? sentence()
      : `turn ${n}: ${[7, 13, 29, 31].map((k) => VOCABULARY[(n * k + k) % VOCABULARY.length]).join(' ')}`;
const load = (pkg) => import(pathToFileURL(join(root, 'packages', pkg, 'dist', 'index.js')).href);
const { openKernel } = await load('kernel');
const { instantProvider, scriptedAdapters } = await load('testkit');
// The full schema's own entry (`@oxydra/types/config-full`); a --root older than it has the
// schema at the package's root.
const fullSchemaFile = join(root, 'packages', 'types', 'dist', 'config-full.js');
const { agentConfigSchema } = existsSync(fullSchemaFile)
  ? await import(pathToFileURL(fullSchemaFile).href)
  : await load('types');

const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-longrun-'));
const config = agentConfigSchema.parse({
  selection: { provider: 'openai', model: 'gpt-4o-mini' },
  providers: { registry: { openai: { provider_type: 'openai' } } },
  memory: { enabled: values.persist, db_path: join(workspace, 'memory.db') },
  ...(values['audit-max'] ? { audit: { max_entries: Number(values['audit-max']) } } : {}),
});
const kernel = await openKernel({
  workspace,
  config,
  host: 'test',
  env: { ...process.env, OPENAI_API_KEY: 'sk-bench-0123456789' },
  adapters: scriptedAdapters(instantProvider()),
  warn: () => {},
});
const total = Number(values.turns);
const every = Number(values.every);
const concurrency = Number(values.concurrency);
const mb = (bytes) => Math.round(bytes / 1024 / 102.4) / 10;
const slices = [];
let done = 0;
let sliceStart = performance.now();
// CPU time too: on a shared, loaded machine the wall-clock rate swings with other work, the
// process's own CPU per turn much less.
let sliceCpu = process.cpuUsage();
let sliceDone = 0;
while (done < total) {
  const batch = [];
  for (let i = 0; i < concurrency && done + i < total; i++) {
    batch.push(kernel.agents.spawn({ prompt: promptOf(done + i), persist: values.persist }).result);
  }
  const results = await Promise.all(batch);
  if (results.some((r) => r.status !== 'completed')) throw new Error('a bench turn failed');
  done += batch.length;
  sliceDone += batch.length;
  if (sliceDone >= every || done === total) {
    const seconds = (performance.now() - sliceStart) / 1000;
    const cpu = process.cpuUsage(sliceCpu);
    globalThis.gc?.();
    const memory = process.memoryUsage();
    slices.push({
      turns: done,
      per_second: Math.round(sliceDone / seconds),
      cpu_us_per_turn: Math.round((cpu.user + cpu.system) / sliceDone),
      rss_mb: mb(memory.rss),
      heap_mb: mb(memory.heapUsed),
      // Typed arrays' and WebAssembly memories' backing stores (the vector cache's codes, ids
      // and int16 copies live there), outside the heap.
      array_buffers_mb: mb(memory.arrayBuffers),
      external_mb: mb(memory.external),
    });
    process.stderr.write(`  ${done} turns: ${JSON.stringify(slices.at(-1))}\n`);
    sliceDone = 0;
    sliceStart = performance.now();
    sliceCpu = process.cpuUsage();
  }
}
await kernel.close();
rmSync(workspace, { recursive: true, force: true });
// After warm-up: the second slice against the last.
const warm = slices[1] ?? slices[0];
const last = slices.at(-1);
const ratio = (a, b) => Math.round((a / b) * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    bench: 'kernel-longrun',
    root,
    persist: values.persist,
    prompts: values.prompts,
    turns: total,
    concurrency,
    slices,
    last_to_warm: {
      per_second: ratio(last.per_second, warm.per_second),
      rss: ratio(last.rss_mb, warm.rss_mb),
    },
    targets: { rss_ratio_max: 1.1, per_second_off: 10_000, per_second_on: 1_000 },
    gc_exposed: typeof globalThis.gc === 'function',
  })}\n`,
);
