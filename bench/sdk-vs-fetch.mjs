#!/usr/bin/env node
// What each vendor SDK costs the provider adapters, against speaking the wire protocol on
// `fetch` with eventsource-parser. For each wire API (Chat Completions, Responses, Anthropic
// Messages, Gemini streamGenerateContent):
//  (a) the adapter as shipped (ADAPTER_FACTORIES: its transport + our request builders,
//      translators and stream guard). The OpenAI adapters (since issue 18.4) and Gemini's (17.2)
//      speak their APIs on `fetch` + eventsource-parser; Anthropic's still uses @anthropic-ai/sdk;
//  (b) an alternative written below, with the same request builders, translators and guard:
//      - OpenAI Chat and Responses: the `openai` SDK as the adapters used it until issue 18.4
//        (the same client options; Responses without previous_response_id chaining), so the
//        SDK's figures are still reported (it stays installed as a dev dependency);
//      - Anthropic: a prototype on `fetch` + eventsource-parser (HTTP and in-stream errors
//        mapped to the same ErrorFacts);
//      - Gemini: a second fetch transport beside the shipped one;
//  (c) a raw fetch of the adapter's exact request that only reads the body (the floor);
// all three interleaved (rotating order) against the testkit's in-process mock, on a typical
// reply (a sentence in word deltas + one tool call + usage) and a long one (~500 text deltas +
// the tool call). Reported: medians, the time each adds per call over (c) (difference of the
// medians, and the median of same-round differences), and per SSE event (the slope between the
// two replies). The alternative is also checked against the adapter: the same request
// (method, path, query, JSON body and its bytes; also for a second turn with an attachment,
// signed reasoning, a tool result and every request option), the same StreamEvent sequences on
// both replies and on every recorded stream in ../shared/fixtures/providers (when present;
// Gemini with CRLF and LF framing), and the same ProviderError (kind, status, retry-after,
// partialOutput, message) on HTTP and in-stream faults.
// Per SDK, in fresh processes (median of --import-runs): time to import the module from
// node_modules and the RSS and heap it adds (beside an empty module's, the loader's own cost);
// its size bundled alone (the imports the adapter had, with the CLI bundle's rolldown settings)
// and the cost of importing that bundle (what `oxydra` pays on a first call); the same for
// eventsource-parser; the source size of the prototypes' transport code and of the OpenAI
// adapters' shipped one. `openai` and @google/genai are no longer loaded by any adapter:
// measured while installed (openai as a dev dependency).
// The alternatives import our translators from packages/provider/dist (not public API).
// Usage: node bench/sdk-vs-fetch.mjs [--calls N] [--long-calls N] [--import-runs N]
//   (prints one JSON object; needs `npm run build`)
// Each job is a module of bench/sdk-vs-fetch/: the alternatives (openai-sdk, fetch-prototype) and
// the APIs they stand beside (apis), the replies and contexts, timing, the correctness checks and
// the import costs; provider-internals and calls are what they share.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { apiSpecs } from './sdk-vs-fetch/apis.mjs';
import { round } from './sdk-vs-fetch/calls.mjs';
import { checkFaults, checkFixtures, checkRichRequest, FAULTS } from './sdk-vs-fetch/checks.mjs';
import { REPLIES } from './sdk-vs-fetch/contexts.mjs';
import { OPENAI_TRANSPORT_FILES, PROTOTYPE_CODE } from './sdk-vs-fetch/fetch-prototype.mjs';
import { measureSdks } from './sdk-vs-fetch/import-costs.mjs';
import { openaiSdkAlternatives } from './sdk-vs-fetch/openai-sdk.mjs';
import { ROOT } from './sdk-vs-fetch/provider-internals.mjs';
import { timeReply } from './sdk-vs-fetch/timing.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    'long-calls': { type: 'string', default: '100' },
    'import-runs': { type: 'string', default: '5' },
  },
});
const calls = Number(values.calls);
const longCalls = Number(values['long-calls']);
const importRuns = Number(values['import-runs']);

const APIS = apiSpecs(
  openaiSdkAlternatives({ OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError }),
);

const started = performance.now();
const streaming = {};
const correctness = {};
for (const spec of APIS) {
  const typical = await timeReply(spec, REPLIES.typical, calls);
  const long = await timeReply(spec, REPLIES.long, longCalls);
  const extraEvents = long.sse_events - typical.sse_events;
  const perEvent = (longMs, typicalMs) => round(((longMs - typicalMs) / extraEvents) * 1000, 2);
  streaming[spec.api] = {
    sdk: spec.sdk,
    alternative: spec.alternative_is,
    typical,
    long,
    // The slope between the two replies: what each further SSE event adds over the raw fetch.
    per_sse_event_us: {
      adapter: perEvent(long.adapter_added_ms, typical.adapter_added_ms),
      alternative: perEvent(long.alternative_added_ms, typical.alternative_added_ms),
    },
    per_sse_event_us_paired: {
      adapter: perEvent(long.paired_added_ms.adapter, typical.paired_added_ms.adapter),
      alternative: perEvent(long.paired_added_ms.alternative, typical.paired_added_ms.alternative),
    },
  };
  correctness[spec.api] = {
    rich_request: await checkRichRequest(spec),
    fixtures: await checkFixtures(spec),
    faults: await checkFaults(spec),
  };
}
const streamingSeconds = round((performance.now() - started) / 1000, 1);
const { sdks, baseline } = await measureSdks(importRuns);
const prototypeSourceBytes = PROTOTYPE_CODE.reduce((sum, code) => sum + Buffer.byteLength(String(code)), 0);
const openaiTransportSourceBytes = OPENAI_TRANSPORT_FILES.reduce(
  (sum, file) => sum + statSync(join(ROOT, 'packages/provider/src', file)).size,
  0,
);

const summary = {};
for (const [api, result] of Object.entries(streaming)) {
  summary[api] = {
    alternative: result.alternative,
    typical_added_ms: {
      adapter: result.typical.adapter_added_ms,
      alternative: result.typical.alternative_added_ms,
    },
    long_added_ms: { adapter: result.long.adapter_added_ms, alternative: result.long.alternative_added_ms },
    per_sse_event_us: result.per_sse_event_us,
    same_events: result.typical.same_events && result.long.same_events,
    same_body: result.typical.request.same_body_json && correctness[api].rich_request.same_body_json,
    same_body_bytes: result.typical.request.same_body_bytes && correctness[api].rich_request.same_body_bytes,
    fixtures_equal: correctness[api].fixtures.skipped
      ? correctness[api].fixtures.skipped
      : `${correctness[api].fixtures.equal}/${correctness[api].fixtures.checked}`,
    faults_same_error: `${Object.values(correctness[api].faults).filter((f) => f.same_error).length}/${Object.keys(FAULTS).length}`,
  };
}

process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'sdk-vs-fetch',
      node: process.version,
      calls_typical: calls,
      calls_long: longCalls,
      import_runs: importRuns,
      target: 'per call over a raw fetch: the adapter adds < 0.5 ms (as provider-overhead)',
      summary,
      streaming,
      correctness,
      sizes: {
        sdks,
        empty_module: baseline,
        prototype_transport_source_bytes: prototypeSourceBytes,
        openai_transport_source_bytes: { files: OPENAI_TRANSPORT_FILES, bytes: openaiTransportSourceBytes },
        note:
          'import costs include what importing an empty module costs (empty_module); bundled = the ' +
          "adapter's imports of the module alone, rolldown as scripts/bundle-cli.mjs (not minified), all chunks; " +
          '@google/genai and openai are what the Gemini and OpenAI adapters loaded before they moved to ' +
          'fetch + eventsource-parser (openai stays installed as a dev dependency)',
      },
      streaming_seconds: streamingSeconds,
      total_seconds: round((performance.now() - started) / 1000, 1),
    },
    null,
    2,
  )}\n`,
);
