/**
 * Who may talk to the gateway: the bearer token on every request (except the health probes),
 * from `Authorization: Bearer <token>` or, for browsers (which cannot set headers on a
 * WebSocket), the subprotocol `bearer.<token>` offered beside `oxydra.v2`; and, on WebSocket
 * upgrades, an Origin that is absent (non-browser clients), loopback, or this host. The gateway
 * keeps only its token's SHA-256 and compares digests in constant time (TokenCheck).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from './bind.js';

/** The subprotocol the gateway selects; browsers must offer it beside `bearer.<token>`. */
export const GATEWAY_SUBPROTOCOL = 'oxydra.v2';
const BEARER_PROTOCOL_PREFIX = 'bearer.';

/**
 * The route options of a route anyone may call (the probes, which reveal nothing; /login/redeem,
 * a code being worth something only to whoever was given it; the dashboard's page and files,
 * which must load before the token is known; the A2A agent card). Declared where the route is,
 * and read by the auth hook from the route the router matched: no second path matcher that
 * could disagree with the router about which route a request reaches.
 */
export const PUBLIC_ROUTE = { config: { public: true } };

/** Whether the matched route was registered with PUBLIC_ROUTE (the not-found route was not). */
export function isPublicRoute(config: object): boolean {
  return (config as { public?: unknown }).public === true;
}

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

/** Holds only the token's digest; `matches` compares in constant time. */
export class TokenCheck {
  readonly #digest: Buffer;

  constructor(token: string) {
    this.#digest = digest(token);
  }

  matches(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate.length === 0) return false;
    return timingSafeEqual(digest(candidate), this.#digest);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
