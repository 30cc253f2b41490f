/**
 * The egress proxy behind `[tools.sandbox] network = "allowlist"` and the container tier. A
 * sandboxed command has no network of its own (a new, empty network namespace); the only way out
 * is this HTTP proxy (proxy-core.ts), which listens on a Unix socket bound into the sandbox and
 * lets through only hosts on the allowlist: CONNECT tunnels (HTTPS and anything else tunnelled)
 * and plain `http://` requests. Everything else gets a 403 naming the host and the setting to
 * change. Tools that ignore HTTP(S)_PROXY cannot reach anything at all: the sandbox fails closed.
 */
import { type HostPattern, hostAllowed } from '@oxydra/types';
import { type ProxyCore, startProxyCore } from './proxy-core.js';

export interface EgressDecision {
  method: string;
  host: string;
  port: number;
  allowed: boolean;
}

export interface EgressProxyOptions {
  /** A Unix socket to listen on (Linux: bound into the sandbox), or else a TCP port on 127.0.0.1 (0: any). */
  socketPath?: string;
  port?: number;
  allow: readonly HostPattern[];
  /** Every request, allowed or refused (the CLI writes them to the audit log). */
  onDecision?: (decision: EgressDecision) => void;
  /** Upstream connect timeout. */
  connectTimeoutMs?: number;
  /** Client connections at once; more are closed as they arrive (default: EGRESS_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** What a refusal says to do (default: the [tools.sandbox] allow_hosts setting). */
  refusalFix?: string;
}

export type EgressProxy = ProxyCore;

/**
 * The proxy's client connections at once. Each held open costs this process (a gateway serving
 * everyone, or the runner) descriptors and memory, and a sandboxed command or a guest can open
 * as many as its processes' limits allow: one command held 10,000 in 8 s, half this machine's
 * descriptor limit. A model's traffic needs a few; a client that holds them all blocks only itself.
 */
export const EGRESS_MAX_CONNECTIONS = 256;

const SANDBOX_FIX = 'add it to [tools.sandbox] allow_hosts to permit it';

export function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const fix = options.refusalFix ?? SANDBOX_FIX;
  return startProxyCore({
    ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    maxConnections: options.maxConnections ?? EGRESS_MAX_CONNECTIONS,
    decide: ({ method, host, port }) => {
      const allowed = hostAllowed(options.allow, host, port);
      options.onDecision?.({ method, host, port, allowed });
      return allowed
        ? { dial: { host, port } }
        : { refuse: { status: 403, text: `oxydra: egress to ${host}:${port} is not allowed; ${fix}` } };
    },
  });
}
