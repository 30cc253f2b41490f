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
  /** Client connections at once; more are closed as they arrive (default: unlimited). */
  maxConnections?: number;
  /** What a refusal says to do (default: the [tools.sandbox] allow_hosts setting). */
  refusalFix?: string;
}

export type EgressProxy = ProxyCore;

const SANDBOX_FIX = 'add it to [tools.sandbox] allow_hosts to permit it';

export function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const fix = options.refusalFix ?? SANDBOX_FIX;
  return startProxyCore({
    ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    decide: ({ method, host, port }) => {
      const allowed = hostAllowed(options.allow, host, port);
      options.onDecision?.({ method, host, port, allowed });
      return allowed
        ? { dial: { host, port } }
        : { refuse: { status: 403, text: `oxydra: egress to ${host}:${port} is not allowed; ${fix}` } };
    },
  });
}
