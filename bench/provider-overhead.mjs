#!/usr/bin/env node
// Adapter overhead per streamed call: each wire adapter (its transport: our fetch +
// eventsource-parser code for OpenAI and Gemini, the vendor SDK for Anthropic; and our event
// mapping) against a raw fetch of the
// very same request, both reading the same stream from the testkit's mock server in this process.
// Calls alternate (adapter, raw, adapter, ...) so noise hits both alike. Reports medians and the
// added time per call. Target: < 0.5 ms added.
// Usage: node bench/provider-overhead.mjs [--calls N]   (prints one JSON object; needs `npm run build`)
import { parseArgs } from 'node:util';
import { ADAPTER_FACTORIES } from '@oxydra/provider';
import { startMockLLM } from '@oxydra/testkit';
import { BENCH_CONTEXT, rawStream, TYPICAL_REPLY } from './provider-turn.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '400' } } });
const calls = Number(values.calls);

const APIS = [
  { type: 'openai', api: 'openai-chat' },
  { type: 'openai_responses', api: 'openai-responses' },
  { type: 'anthropic', api: 'anthropic' },
  { type: 'gemini', api: 'gemini' },
];

const reply = TYPICAL_REPLY;
const context = BENCH_CONTEXT;

async function viaAdapter(provider) {
  let events = 0;
  for await (const _event of provider.stream(context)) events++;
  return events;
}

const results = {};
for (const { type, api } of APIS) {
  const mock = await startMockLLM({ api, scenario: [{ reply, times: 'always' }] });
  const provider = ADAPTER_FACTORIES[type]({ name: 'bench', baseURL: mock.url, apiKey: 'sk-bench' });
  await viaAdapter(provider); // learn the exact request the adapter sends
  const sent = mock.requests[0];
  const origin = new URL(mock.url).origin;
  const url = `${origin}${sent.path}${Object.keys(sent.query).length ? `?${new URLSearchParams(sent.query)}` : ''}`;
  const headers = Object.fromEntries(
    Object.entries(sent.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
  );
  const request = { headers, raw: sent.raw };
  for (let i = 0; i < 50; i++) {
    await viaAdapter(provider);
    await rawStream(url, request);
  }
  const adapter = [];
  const raw = [];
  for (let i = 0; i < calls; i++) {
    let start = performance.now();
    await viaAdapter(provider);
    adapter.push(performance.now() - start);
    start = performance.now();
    await rawStream(url, request);
    raw.push(performance.now() - start);
  }
  await mock.close();
  const a = summarize(adapter);
  const r = summarize(raw);
  results[api] = {
    adapter: a,
    raw_fetch: r,
    added_ms_median: Math.round((a.median_ms - r.median_ms) * 1000) / 1000,
  };
}

const worst = Math.max(...Object.values(results).map((r) => r.added_ms_median));
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'provider-overhead',
      node: process.version,
      calls_per_api: calls,
      target: 'adapter adds < 0.5 ms per streamed call over a raw fetch of the same stream',
      results,
      worst_added_ms: worst,
      meets_target: worst < 0.5,
    },
    null,
    2,
  )}\n`,
);
