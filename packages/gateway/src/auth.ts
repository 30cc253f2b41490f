/**
 * Who may talk to the gateway: the bearer token on every request (except the health probes),
 * from `Authorization: Bearer <token>` or, for browsers (which cannot set headers on a
 * WebSocket), the subprotocol `bearer.<token>` offered beside `oxydra.v2`; and, on WebSocket
 * upgrades, an Origin that is absent (non-browser clients), loopback, or this host. The gateway
 * keeps only its token's SHA-256 and compares digests in constant time (TokenCheck).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type Holder, mayUse } from '@oxydra/kernel';
import type { Principal, Role } from '@oxydra/kernel/admin';
import { isLoopbackHost, isWildcardHost } from './bind.js';
import { GatewayError } from './errors.js';

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

/**
 * Which names the gateway answers to, checked on every request's Host header (DNS rebinding):
 * a page on evil.example whose name the attacker re-points at 127.0.0.1 reaches the gateway
 * from the user's browser as a same-origin request, with Host "evil.example:7700". The token
 * still guards the routes, but a guessed, leaked or pasted one would then work from any web
 * page, and the public probes and the agent card would answer it. So the gateway answers only:
 * - its bind address (host:port), and loopback names (localhost, 127.0.0.0/8, [::1]), with
 *   the bound port: a browser never asks DNS for these (not *.localhost: some still do);
 * - with a wildcard bind (0.0.0.0, ::), the literal addresses of this machine's interfaces,
 *   with the bound port: an IP literal is its own origin, no DNS answer can stand behind it.
 *   Never the machine's host name or any other name: put those in public_hosts;
 * - `[gateway] public_hosts` and the host of `[a2a] public_url`, on any port (a reverse proxy
 *   passes the public name, with or without its own port).
 * A request without a Host header (HTTP/1.0) names nothing the gateway can check: refused too.
 */
export interface HostRules {
  /** The bind host as given (0.0.0.0, ::, 127.0.0.1, a name). */
  bindHost: string;
  /** The bound port (known once the server listens). */
  port: () => number;
  publicHosts: readonly string[];
  publicUrl?: string | undefined;
}

/** "host[:port]" with the host a name or a bracketed IPv6 literal; nothing else (no "@", "/"). */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;
const HTTP_DEFAULT_PORT = 80;
/** Interfaces change (DHCP, VPN): a literal not seen is looked up again, at most this often. */
const INTERFACES_REFRESH_MS = 1000;

/** A host the way URLs write it: lowercase, IP literals canonical, IPv6 in brackets, no final dot. */
function canonicalHost(host: string): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(bare) === 6 ? `[${bare}]` : bare.replace(/\.$/, '');
  try {
    return new URL(`http://${literal}`).hostname;
  } catch {
    return undefined;
  }
}

export type HostCheck = (header: string | undefined) => boolean;

export function hostCheck(rules: HostRules): HostCheck {
  const publicNames = new Set<string>();
  for (const name of rules.publicHosts) {
    const canonical = canonicalHost(name);
    if (canonical) publicNames.add(canonical);
  }
  if (rules.publicUrl !== undefined) publicNames.add(new URL(rules.publicUrl).hostname);
  const wildcard = isWildcardHost(rules.bindHost);
  const bindName = wildcard ? undefined : canonicalHost(rules.bindHost);
  const interfaces = machineAddresses();

  return (header) => {
    const match = header === undefined ? null : HOST_HEADER.exec(header);
    if (!match) return false;
    const host = canonicalHost(match[1]!);
    if (host === undefined) return false;
    if (publicNames.has(host)) return true;
    const port = match[2] === undefined ? HTTP_DEFAULT_PORT : Number(match[2]);
    if (port !== rules.port()) return false;
    if (host === bindName || host === 'localhost') return true;
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    if (isIP(bare) !== 0 && isLoopbackHost(bare)) return true;
    return wildcard && interfaces.has(host);
  };
}

/** This machine's interface addresses, canonical, refreshed when asked for one it lacks. */
function machineAddresses(): { has(host: string): boolean } {
  let known = new Set<string>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  const load = () => {
    loadedAt = Date.now();
    known = new Set<string>();
    for (const list of Object.values(networkInterfaces())) {
      for (const entry of list ?? []) {
        // Link-local IPv6 carries a zone ("fe80::1%eth0") no Host header can name; skip the zone.
        const canonical = canonicalHost(entry.address.replace(/%.*$/, ''));
        if (canonical) known.add(canonical);
      }
    }
  };
  return {
    has(host) {
      if (isIP(host.replace(/^\[(.*)\]$/, '$1')) === 0) return false;
      if (known.has(host)) return true;
      if (Date.now() - loadedAt < INTERFACES_REFRESH_MS) return false;
      load();
      return known.has(host);
    },
  };
}

/**
 * Who each request is. The owner's token (the gateway token) is an admin acting for any user;
 * a stored token (`oxydra token add`) is bound to its user and role. A `user` token acts only
 * as its user: naming another is refused, and what it reads is only that user's.
 */
export type { Principal };

export const OWNER: Principal = { tokenId: 'owner', role: 'admin' };

const principals = new WeakMap<IncomingMessage, Principal>();

export function rememberPrincipal(request: IncomingMessage, principal: Principal): void {
  principals.set(request, principal);
}

/** The authenticated principal of a request that passed the auth hook. */
export function principalOf(request: IncomingMessage): Principal {
  const principal = principals.get(request);
  if (!principal) throw new Error('request reached a route without an authenticated principal');
  return principal;
}

const RANK: Record<Role, number> = { user: 0, operator: 1, admin: 2 };

/** Refuses a principal below `role` (admin-only operations). */
export function requireRole(principal: Principal, role: Role, what: string): void {
  if (RANK[principal.role] < RANK[role]) {
    throw new GatewayError(
      'forbidden',
      `${what} needs the ${role} role; this token's role is ${principal.role}`,
    );
  }
}

/** The user a request acts as: a `user` token's own, else the one it names (or the default). */
export function actingUser(principal: Principal, named: string | undefined): string | undefined {
  if (principal.user === undefined) return named;
  // Acting as a user is using what that user owns: the kernel's rule decides.
  if (named !== undefined && !mayUse(named, { userId: principal.user })) {
    throw new GatewayError(
      'forbidden',
      `this token acts as user ${principal.user}; it cannot act as ${JSON.stringify(named.slice(0, 80))}`,
    );
  }
  return principal.user;
}

/**
 * Whose slots an A2A task or MCP run_agent takes (the kernel's per-user limit): a user token's
 * user, shared with that user's chat turns and scheduled runs; a token acting for no user (owner,
 * admin) its own, so one such token cannot starve the others.
 */
export function runHolder(principal: Principal): Holder {
  return principal.user !== undefined ? { userId: principal.user } : { tokenId: principal.tokenId };
}
