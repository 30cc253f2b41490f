/**
 * Who may talk to the gateway: the bearer token on every request (except the health probes),
 * from `Authorization: Bearer <token>` or, for browsers (which cannot set headers on a
 * WebSocket), the subprotocol `bearer.<token>` offered beside `oxydra.v2`; and, on WebSocket
 * upgrades, an Origin that is absent (non-browser clients), loopback, or this host.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from './bind.js';

/** The subprotocol the gateway selects; browsers must offer it beside `bearer.<token>`. */
export const GATEWAY_SUBPROTOCOL = 'oxydra.v2';
const BEARER_PROTOCOL_PREFIX = 'bearer.';

/**
 * Paths anyone may call: liveness and readiness probes reveal nothing; a login code is only
 * worth something to whoever was given it (login-codes.ts).
 */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/login/redeem']);

/** The token the request presents, if any. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const offered = headers['sec-websocket-protocol'];
  if (typeof offered === 'string') {
    for (const protocol of offered.split(',')) {
      const trimmed = protocol.trim();
      if (trimmed.startsWith(BEARER_PROTOCOL_PREFIX)) return trimmed.slice(BEARER_PROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}

/**
 * Whether a WebSocket upgrade's Origin may connect: none (curl, the TUI, scripts), a loopback
 * origin, or the host the client addressed. Anything else is a web page elsewhere trying to
 * reach this gateway through the user's browser.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined || origin === '') return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const originHost = url.hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(originHost)) return true;
  return hostHeader !== undefined && url.host.toLowerCase() === hostHeader.toLowerCase();
}

/** ws handleProtocols: select oxydra.v2 when offered, never echo a token back. */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(GATEWAY_SUBPROTOCOL) ? GATEWAY_SUBPROTOCOL : false;
}
