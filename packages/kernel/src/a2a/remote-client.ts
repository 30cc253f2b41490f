/**
 * An A2A client for one remote agent, on the SDK's ClientFactory (JSON-RPC binding). The bearer
 * token goes to the configured remote's origin only: a card whose endpoint points elsewhere gets
 * no token (the call then fails with a 401 that says so), so a hostile card cannot collect it. A
 * URL the model gave (not configured) goes through the SSRF guard like web_fetch: public
 * addresses only, each redirect checked, connected to the checked address.
 */
import { createSafeFetch, EgressPolicy } from '@oxydra/tools/safe-fetch';

export interface RemoteTarget {
  /** The configured name, or the URL the model gave. */
  label: string;
  url: string;
  token?: string;
  /** A configured remote: the user chose it (loopback and private addresses allowed). */
  configured: boolean;
  timeoutMs: number;
}

const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/** fetch with the token added for the remote's own origin, and only for it. */
function tokenFetch(origin: string, token: string | undefined): typeof fetch {
  return (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (token === undefined || url.origin !== origin) return fetch(input, init);
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    // A redirect could carry the token on to another server: a remote that redirects is refused.
    return fetch(input, { ...init, headers, redirect: 'error' });
  };
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
  const fetchImpl = target.configured
    ? tokenFetch(new URL(target.url).origin, target.token)
    : guardedFetch(new EgressPolicy([...egressAllowlist]), target.timeoutMs);
  // JSON-RPC only: every request then goes through fetchImpl (the SDK's REST transport would
  // fetch on its own, past the token scoping and the SSRF guard).
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
  });
  return factory.createFromUrl(target.url.replace(/\/+$/, ''));
}
