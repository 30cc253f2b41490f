// bench/sdk-vs-fetch.mjs: calling a provider (its events or its error's facts), and comparing what
// two providers sent.
import { isDeepStrictEqual } from 'node:util';
import { context } from './contexts.mjs';

export async function drain(provider, ctx = context) {
  const events = [];
  for await (const event of provider.stream(ctx)) events.push(event);
  return events;
}

/** The events, or the ProviderError's observable facts. */
export async function outcome(provider, ctx) {
  try {
    return { events: await drain(provider, ctx) };
  } catch (error) {
    return {
      error: {
        name: error?.name,
        kind: error?.kind,
        status: error?.status,
        retryAfterMs: error?.retryAfterMs,
        partialOutput: error?.partialOutput,
        message: error?.message,
      },
    };
  }
}

export function requestUrl(mock, sent) {
  const query = Object.keys(sent.query).length ? `?${new URLSearchParams(sent.query)}` : '';
  return `${new URL(mock.url).origin}${sent.path}${query}`;
}

const TRANSPORT_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'accept-encoding',
  'accept-language',
  'sec-fetch-mode',
]);

/** Does the alternative send what the adapter sends? */
export function compareRequests(byAdapter, byAlternative) {
  const names = (sent) => Object.keys(sent.headers).filter((name) => !TRANSPORT_HEADERS.has(name));
  const theirs = names(byAdapter);
  const ours = names(byAlternative);
  const differing = theirs.filter(
    (name) => ours.includes(name) && byAdapter.headers[name] !== byAlternative.headers[name],
  );
  return {
    same_target:
      byAdapter.method === byAlternative.method &&
      byAdapter.path === byAlternative.path &&
      isDeepStrictEqual(byAdapter.query, byAlternative.query),
    same_body_json: isDeepStrictEqual(byAdapter.body, byAlternative.body),
    same_body_bytes: byAdapter.raw === byAlternative.raw,
    headers_only_adapter_sends: theirs.filter((name) => !ours.includes(name)),
    headers_only_alternative_sends: ours.filter((name) => !theirs.includes(name)),
    headers_differing: differing,
  };
}

export function sseEventCount(body) {
  return body.split(/\r?\n\r?\n/).filter((frame) => /^data:/m.test(frame)).length;
}

export const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
