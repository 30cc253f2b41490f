/**
 * The browser's only way out: an HTTP proxy on loopback that Chromium sends every request
 * through (plain HTTP as absolute-form requests, HTTPS and WebSockets as CONNECT tunnels), run
 * on the sandbox's proxy core (@oxydra/sandbox egress/proxy-core.ts) with this policy: for each
 * request it resolves the host itself, checks every address against the same EgressPolicy as
 * web_fetch (safe-fetch's checkedTarget) and then dials the checked IP literal, never the name:
 * no second DNS answer can slip in between the check and the connection (DNS rebinding).
 * Refusals are answered 403 and reported, so the tool can tell the model what was held back.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EGRESS_MAX_CONNECTIONS, type ProxyTarget, type ProxyVerdict, startProxyCore } from '@oxydra/sandbox';
import type { EgressPolicy } from '../web/address-policy.js';
import { checkedTarget, type Resolver, systemResolver } from '../web/safe-fetch.js';

export interface EgressProxyOptions {
  /** The address policy; undefined refuses everything (the browser-wide fallback proxy). */
  policy: EgressPolicy | undefined;
  resolve?: Resolver;
  /** Told of every refused request: the URL or host:port, and why. */
  onRefused?: (target: string, reason: string) => void;
}

export interface EgressProxy {
  /** `http://127.0.0.1:<port>`, for Chromium's --proxy-server. */
  url: string;
  /**
   * What a client must present (Proxy-Authorization: Basic): random per proxy, given to
   * Chromium only. Another local process (another user, a sandboxed command that reaches
   * loopback) cannot use the proxy as its own way past its network rules.
   */
  credentials: { username: string; password: string };
  close(): Promise<void>;
}

/** Idle sockets are dropped after this long: a page cannot hold connections open forever. */
const SOCKET_IDLE_MS = 60_000;

/** The URL the policy reads: the request's own, or CONNECT's host:port as https (IPv6 bracketed). */
function policyUrl(target: ProxyTarget): URL {
  if (target.kind === 'http') return target.url;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  // new URL drops a default port; the policy's urlPort gives it back from the scheme.
  return new URL(`https://${host}:${target.port}/`);
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const resolve = options.resolve ?? systemResolver;
  const credentials = { username: 'oxydra', password: randomBytes(24).toString('base64url') };
  const expected = Buffer.from(
    `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
  );
  const refused = (target: string, reason: string): ProxyVerdict => {
    options.onRefused?.(target, reason);
    return { refuse: { status: 403, text: `refused by Oxydra: ${reason}` } };
  };
  const decide = async (target: ProxyTarget): Promise<ProxyVerdict> => {
    const url = policyUrl(target);
    if (!options.policy) return refused(url.href, 'the browser itself may not reach the network');
    try {
      const checked = await checkedTarget(url, options.policy, resolve);
      return { dial: { host: checked.address, family: checked.family, port: checked.port } };
    } catch (error) {
      return refused(url.href, error instanceof Error ? error.message : String(error));
    }
  };
  const proxy = await startProxyCore({
    port: 0,
    decide,
    onMalformed: (raw, problem) => options.onRefused?.(raw, problem),
    // Whether the request carries this proxy's credentials (compared in constant time).
    authorize: {
      challenge: 'Basic realm="oxydra-browser"',
      check: (req: IncomingMessage) => {
        const given = Buffer.from(String(req.headers['proxy-authorization'] ?? ''));
        return given.length === expected.length && timingSafeEqual(given, expected);
      },
    },
    idleMs: SOCKET_IDLE_MS,
    // Connections at once per proxy, the sandbox proxy's cap (one constant): a page opening
    // thousands is held at this, and more are closed as they arrive.
    maxConnections: EGRESS_MAX_CONNECTIONS,
  });
  return { url: `http://127.0.0.1:${proxy.port}`, credentials, close: () => proxy.close() };
}
