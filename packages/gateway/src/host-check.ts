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
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isLoopbackHost, isWildcardHost } from './bind.js';

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
