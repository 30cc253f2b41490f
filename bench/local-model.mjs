#!/usr/bin/env node
// The llama_cpp provider on the testkit's tiny GGUF model (2 layers, 64 wide, random weights,
// ~0.5 MB): how long loading takes (node-llama-cpp's import and backend, then the model and its
// context), generation speed (tokens/s of a free answer, prompt included), a grammar-constrained
// tool call's time, and the process's memory (RSS) before loading, loaded, and after unloading.
// The numbers are the library's and the machine's overhead, not a real model's speed: a real
// model's weights dominate both. CPU only, one thread by default (a shared machine).
// Usage: node bench/local-model.mjs [--runs 5] [--threads 1] [--tokens 64]   (prints one JSON object)
// Needs `npm run build` (it imports packages/*/dist).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1' },
    tokens: { type: 'string', default: '64' },
  },
});
const root = new URL('../packages/', import.meta.url);
const { writeTinyGguf } = await import(new URL('testkit/dist/index.js', root).href);
const { createLlamaCppProvider } = await import(
  new URL('provider/dist/adapters/llama-cpp/provider.js', root).href
);
const { loadLocalModel } = await import(new URL('provider/dist/adapters/llama-cpp/engine.js', root).href);
const { releaseLocalModels } = await import(new URL('provider/dist/adapters/llama-cpp/held.js', root).href);

const dir = mkdtempSync(join(tmpdir(), 'oxydra-bench-llama-'));
const model = join(dir, 'tiny.gguf');
const fileBytes = await writeTinyGguf(model);
const settings = { gpuLayers: 0, threads: Number(values.threads), contextSize: 2048 };
const maxOutputTokens = Number(values.tokens);
const context = {
  model,
  messages: [
    { role: 'system', content: 'You are a benchmark.' },
    { role: 'user', content: 'Say something.' },
  ],
  maxOutputTokens,
};
const tool = {
  name: 'pick',
  description: 'Pick a colour',
  safety: 'read_only',
  parameters: { type: 'object', properties: { colour: { enum: ['red', 'blue'] } }, required: ['colour'] },
};
const mb = (bytes) => Math.round((bytes / 1e6) * 10) / 10;
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

async function timed(provider, ctx) {
  const start = performance.now();
  let first;
  let usage;
  for await (const event of provider.stream(ctx)) {
    if (first === undefined && (event.type === 'text_delta' || event.type === 'tool_call_start'))
      first = performance.now();
    if (event.type === 'usage') usage = event.usage;
  }
  return { ms: performance.now() - start, firstMs: (first ?? performance.now()) - start, usage };
}

const rssBefore = process.memoryUsage().rss;
const free = createLlamaCppProvider({ name: 'local', baseURL: '', local: settings });
const forced = createLlamaCppProvider({
  name: 'local',
  baseURL: '',
  local: { ...settings, toolChoice: 'required' },
});
// Loading: node-llama-cpp's import and CPU backend, then the model file and its context.
const loadStart = performance.now();
await loadLocalModel(model, settings);
const loadMs = performance.now() - loadStart;
const first = await timed(free, context);
const rssLoaded = process.memoryUsage().rss;
const answers = [];
const calls = [];
for (let i = 0; i < Number(values.runs); i++) {
  answers.push(await timed(free, context));
  calls.push(await timed(forced, { ...context, tools: [tool], maxOutputTokens: 200 }));
}
const rssPeak = process.memoryUsage().rss;
await releaseLocalModels();
const rssUnloaded = process.memoryUsage().rss;
rmSync(dir, { recursive: true, force: true });

const out = answers.map((a) => a.usage?.outputTokens ?? 0);
process.stdout.write(
  `${JSON.stringify(
    {
      model: { bytes: fileBytes, layers: 2, embedding: 64, vocabulary: 354 },
      threads: settings.threads,
      runs: answers.length,
      load_ms: Math.round(loadMs),
      first_call_ms: Math.round(first.ms),
      answer: {
        output_tokens: median(out),
        median_ms: Math.round(median(answers.map((a) => a.ms))),
        first_token_median_ms: Math.round(median(answers.map((a) => a.firstMs)) * 10) / 10,
        tokens_per_s: Math.round(median(answers.map((a) => (a.usage?.outputTokens ?? 0) / (a.ms / 1000)))),
      },
      forced_tool_call_median_ms: Math.round(median(calls.map((c) => c.ms))),
      rss_mb: { before: mb(rssBefore), loaded: mb(rssLoaded), peak: mb(rssPeak), unloaded: mb(rssUnloaded) },
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
