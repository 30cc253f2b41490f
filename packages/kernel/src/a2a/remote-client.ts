/**
 * An A2A client for one remote agent, on the SDK's ClientFactory (JSON-RPC binding). The bearer
 * token goes to the configured remote's origin only: a card whose endpoint points elsewhere gets
 * no token (the call then fails with a 401 that says so), so a hostile card cannot collect it.
 * Only the configured origin itself is exempt from the SSRF guard (the user chose it, loopback
 * included): a URL the model gave, and any other origin a configured remote's card names, go
 * through it like web_fetch (public addresses only, each redirect checked, connected to the
 * checked address), and a configured remote's own redirects are not followed.
 */
import { createSafeFetch, EgressPolicy } from '@oxydra/tools/safe-fetch';
import { shownUrl } from '@oxydra/types';

export interface RemoteTarget {
  /** The configured name, or the URL the model gave. */
  label: string;
  url: string;
  token?: string;
  /** A configured remote: the user chose it (loopback and private addresses allowed). */
  configured: boolean;
  timeoutMs: number;
}

/**
 * What one answer of a remote may bring, a task's whole stream included: the answer kept is cut
 * far below this (task-follow.ts), but a remote streaming status after status for ever would
 * otherwise be read, and parsed, for as long as its timeout lets it.
 */
export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/** A failure in Oxydra's own words (a refusal, a timeout), as against what a remote said. */
export class OwnFailure extends Error {
  override name = 'OwnFailure';
}

/** A remote's answer that passed MAX_RESPONSE_BYTES: its task is cancelled too. */
export class AnswerTooLarge extends OwnFailure {
  override name = 'AnswerTooLarge';
}
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * fetch for a configured remote: its own origin directly, with the token if it has one; any
 * other origin (a card's endpoint elsewhere) through `guarded`, never with the token. The
 * remote's redirects are refused, not followed: one could carry the token on, or lead this
 * unguarded request to an address the guard refuses (the cloud metadata address, loopback).
 */
function configuredFetch(origin: string, token: string | undefined, guarded: typeof fetch): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== origin) return guarded(url.href, init);
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (!REDIRECTS.has(response.status)) return capped(response);
    await response.body?.cancel();
    throw new OwnFailure(
      `the remote answered ${shownUrl(url.pathname)} with a redirect (HTTP ${response.status}${redirectTarget(response, url)}), which is not followed; set the remote's url to where it leads`,
    );
  };
}

/**
 * The response with its body cut at MAX_RESPONSE_BYTES: past it the body fails with
 * AnswerTooLarge and the connection to the remote is closed (the guarded fetch has the same cap).
 */
function capped(response: Response): Response {
  if (!response.body) return response;
  let bytes = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes <= MAX_RESPONSE_BYTES) controller.enqueue(chunk);
        else
          controller.error(
            new AnswerTooLarge(
              `the remote sent more than ${MAX_RESPONSE_BYTES / (1024 * 1024)} MiB in one answer (the cap on what one remote task may send); the task was cancelled`,
            ),
          );
      },
    }),
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** " to <URL>", shortened and as a URL (the remote's words cannot read as a sentence), or "". */
function redirectTarget(response: Response, base: URL): string {
  const location = response.headers.get('location');
  if (location === null) return '';
  try {
    return ` to ${shownUrl(new URL(location, base).href)}`;
  } catch {
    return '';
  }
}

/**
 * fetch through the SSRF guard. The guard reads whole bodies, so a streamed answer arrives at
 * once when the task ends (progress and cancel-by-id need a configured remote).
 */
function guardedFetch(policy: EgressPolicy, timeoutMs: number): typeof fetch {
  const safe = createSafeFetch({ policy, timeoutMs, maxBytes: MAX_RESPONSE_BYTES });
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const method = (init.method ?? 'GET').toUpperCase();
    const response = await safe(url, {
      method: method === 'POST' ? 'POST' : 'GET',
      headers,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const responseHeaders = new Headers();
    for (const [key, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') responseHeaders.set(key, value);
    }
    return new Response(new Uint8Array(response.body), { status: response.status, headers: responseHeaders });
  };
}

export async function remoteClient(target: RemoteTarget, egressAllowlist: readonly string[]) {
  const { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory } = await import(
    '@a2a-js/sdk/client'
  );
  const guarded = guardedFetch(new EgressPolicy([...egressAllowlist]), target.timeoutMs);
  const fetchImpl = target.configured
    ? configuredFetch(new URL(target.url).origin, target.token, guarded)
    : guarded;
  // JSON-RPC only: every request then goes through fetchImpl (the SDK's REST transport would
  // fetch on its own, past the token scoping and the SSRF guard).
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
  });
  return factory.createFromUrl(target.url.replace(/\/+$/, ''));
}
