// bench/sdk-vs-fetch.mjs: does the alternative behave as the adapter? The same request and events on
// a rich second turn, on every recorded stream, and the same ProviderError on each fault.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ADAPTER_FACTORIES } from '@oxydra/provider';
import { startMockLLM } from '@oxydra/testkit';
import { compareRequests, outcome } from './calls.mjs';
import { BASIC_CONTEXT, context, KEY, REPLIES, RICH_CONTEXT } from './contexts.mjs';
import { FIXTURES } from './provider-internals.mjs';

/** Every recorded stream of this API (Gemini in CRLF and LF framing): same events or same error. */
export async function checkFixtures(spec) {
  const dir = new URL(`${spec.fixtures}/`, FIXTURES);
  if (!existsSync(dir)) return { skipped: `no fixtures at ${fileURLToPath(dir)}` };
  const files = readdirSync(dir)
    .filter((file) => file !== 'expected.json' && (file.endsWith('.chunks.txt') || file.endsWith('.json')))
    .sort();
  const endings = spec.api === 'gemini' ? ['crlf', 'lf'] : [undefined];
  const mismatches = [];
  let checked = 0;
  for (const file of files) {
    for (const lineEnding of endings) {
      const mock = await startMockLLM({
        api: spec.api,
        fixture: fileURLToPath(new URL(file, dir)),
        ...(lineEnding ? { lineEnding } : {}),
      });
      try {
        const options = { name: 'fixture', baseURL: mock.url, apiKey: KEY };
        const byAdapter = await outcome(ADAPTER_FACTORIES[spec.type](options), BASIC_CONTEXT);
        const byAlternative = await outcome(spec.alternative(options), BASIC_CONTEXT);
        checked++;
        if (!isDeepStrictEqual(byAdapter, byAlternative)) {
          mismatches.push({
            file: lineEnding ? `${file} (${lineEnding})` : file,
            adapter: byAdapter,
            alternative: byAlternative,
          });
        }
      } finally {
        await mock.close();
      }
    }
  }
  return { checked, equal: checked - mismatches.length, mismatches };
}

/** The request each sends for RICH_CONTEXT, and the events it gets back. */
export async function checkRichRequest(spec) {
  const mock = await startMockLLM({ api: spec.api, scenario: [{ reply: REPLIES.typical, times: 'always' }] });
  try {
    const options = { name: 'rich', baseURL: mock.url, apiKey: KEY };
    mock.reset();
    const byAdapter = await outcome(ADAPTER_FACTORIES[spec.type](options), RICH_CONTEXT);
    const sdkRequest = mock.requests[0];
    mock.reset();
    const byAlternative = await outcome(spec.alternative(options), RICH_CONTEXT);
    return {
      same_outcome: isDeepStrictEqual(byAdapter, byAlternative),
      ...compareRequests(sdkRequest, mock.requests[0]),
    };
  } finally {
    await mock.close();
  }
}

export const FAULTS = {
  'http 429 + retry-after': { status: 429, retryAfter: 2 },
  'http 503': { status: 503 },
  'http 401': { status: 401 },
  'http 400 context overflow': { status: 400, contextOverflow: true },
  'in-stream error after 2 events': { streamError: { afterEvents: 2 } },
  'cut after 3 events': { cutAfterEvents: 3 },
  'malformed 2nd event': { malformedChunk: true },
};

/** The same ProviderError from both, fault by fault. */
export async function checkFaults(spec) {
  const results = {};
  // The SDKs log the malformed chunk to stderr before throwing; this bench prints JSON only.
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    await checkEachFault(spec, results);
  } finally {
    process.stderr.write = write;
  }
  return results;
}

async function checkEachFault(spec, results) {
  for (const [name, fault] of Object.entries(FAULTS)) {
    const step = 'status' in fault ? { fault } : { reply: REPLIES.typical, fault };
    const mock = await startMockLLM({ api: spec.api, scenario: [{ ...step, times: 'always' }] });
    try {
      const options = { name: 'faults', baseURL: mock.url, apiKey: KEY };
      const byAdapter = await outcome(ADAPTER_FACTORIES[spec.type](options), context);
      const byAlternative = await outcome(spec.alternative(options), context);
      const { message: adapterMessage, ...adapterFacts } = byAdapter.error ?? {};
      const { message: alternativeMessage, ...alternativeFacts } = byAlternative.error ?? {};
      results[name] = {
        same_error: byAdapter.error !== undefined && isDeepStrictEqual(adapterFacts, alternativeFacts),
        same_message: adapterMessage === alternativeMessage,
        ...(isDeepStrictEqual(byAdapter, byAlternative)
          ? { error: byAdapter.error }
          : { adapter: byAdapter, alternative: byAlternative }),
      };
    } finally {
      await mock.close();
    }
  }
}
