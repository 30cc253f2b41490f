// bench/sdk-vs-fetch.mjs: adapter, alternative and a raw fetch timed against each other on one reply.
import { isDeepStrictEqual } from 'node:util';
import { ADAPTER_FACTORIES } from '@oxydra/provider';
import { startMockLLM } from '@oxydra/testkit';
import { rawStream } from '../provider-turn.mjs';
import { summarize } from '../stats.mjs';
import { compareRequests, drain, requestUrl, round, sseEventCount } from './calls.mjs';
import { KEY } from './contexts.mjs';

/** Adapter, alternative and raw fetch interleaved (rotating order), on one reply. */
export async function timeReply(spec, reply, n) {
  const mock = await startMockLLM({ api: spec.api, scenario: [{ reply, times: 'always' }] });
  try {
    const options = { name: 'bench', baseURL: mock.url, apiKey: KEY };
    const adapter = ADAPTER_FACTORIES[spec.type](options);
    const alternative = spec.alternative(options);

    mock.reset();
    const adapterEvents = await drain(adapter);
    const byAdapter = mock.requests[0];
    mock.reset();
    const alternativeEvents = await drain(alternative);
    const byAlternative = mock.requests[0];
    const request = {
      headers: Object.fromEntries(
        Object.entries(byAdapter.headers).filter(
          ([name]) => !['host', 'content-length', 'connection'].includes(name),
        ),
      ),
      raw: byAdapter.raw,
    };
    const url = requestUrl(mock, byAdapter);
    const body = await (
      await fetch(url, { method: 'POST', headers: request.headers, body: request.raw })
    ).text();

    const runs = { adapter: [], alternative: [], raw: [] };
    const steps = [
      ['adapter', () => drain(adapter)],
      ['alternative', () => drain(alternative)],
      ['raw', () => rawStream(url, request)],
    ];
    const warmup = Math.max(10, Math.round(n / 5));
    for (let i = 0; i < warmup + n; i++) {
      for (let j = 0; j < steps.length; j++) {
        const [name, run] = steps[(i + j) % steps.length];
        const start = performance.now();
        await run();
        if (i >= warmup) runs[name].push(performance.now() - start);
      }
      if (i % 50 === 0) mock.requests.length = 0;
    }
    const a = summarize(runs.adapter);
    const p = summarize(runs.alternative);
    const r = summarize(runs.raw);
    // Each call against the raw fetch of the same round: steadier when the machine's load shifts.
    const paired = (name) => round(summarize(runs[name].map((ms, i) => ms - runs.raw[i])).median_ms);
    return {
      sse_events: sseEventCount(body),
      stream_events: adapterEvents.length,
      same_events: isDeepStrictEqual(adapterEvents, alternativeEvents),
      request: compareRequests(byAdapter, byAlternative),
      adapter: a,
      alternative: p,
      raw_fetch: r,
      adapter_added_ms: round(a.median_ms - r.median_ms),
      alternative_added_ms: round(p.median_ms - r.median_ms),
      paired_added_ms: { adapter: paired('adapter'), alternative: paired('alternative') },
    };
  } finally {
    await mock.close();
  }
}
