/**
 * The egress proxy behind `[tools.sandbox] network = "allowlist"`. A sandboxed command has no
 * network of its own (a new, empty network namespace); the only way out is this HTTP proxy,
 * which listens on a Unix socket bound into the sandbox and lets through only hosts on the
 * allowlist: CONNECT tunnels (HTTPS and anything else tunnelled) and plain `http://` requests.
 * Everything else gets a 403 naming the host and the setting to change. Tools that ignore
 * HTTP(S)_PROXY cannot reach anything at all: the sandbox fails closed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type HostPattern, hostAllowed, normaliseHost } from '@oxydra/types';

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
  /** What a refusal says to do (default: the [tools.sandbox] allow_hosts setting). */
  refusalFix?: string;
}

export interface EgressProxy {
  socketPath?: string;
  /** The TCP port, when listening on one. */
  port?: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'upgrade',
]);

const SANDBOX_FIX = 'add it to [tools.sandbox] allow_hosts to permit it';

function refusalText(host: string, port: number, fix: string): string {
  return `oxydra: egress to ${host}:${port} is not allowed; ${fix}\n`;
}

/** host:port of a CONNECT request target, or undefined when malformed. */
function connectTarget(target: string | undefined): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(target ?? '');
  if (!match) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { host: normaliseHost(match[1]!), port } : undefined;
}

export function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const timeout = options.connectTimeoutMs ?? 30_000;
  const fix = options.refusalFix ?? SANDBOX_FIX;
  const sockets = new Set<Socket>();
  const decide = (method: string, host: string, port: number): boolean => {
    const allowed = hostAllowed(options.allow, host, port);
    options.onDecision?.({ method, host, port, allowed });
    return allowed;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('oxydra: a proxy request needs an absolute http:// URL\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`oxydra: ${url.protocol} is not proxied; use CONNECT\n`);
      return;
    }
    const host = normaliseHost(url.hostname);
    const port = url.port === '' ? 80 : Number(url.port);
    if (!decide(req.method ?? 'GET', host, port)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(refusalText(host, port, fix));
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
    );
    const upstream = httpRequest(
      { host, port, method: req.method, path: `${url.pathname}${url.search}`, headers, timeout },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('connect timeout')));
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`oxydra: ${host}:${port} failed: ${error.message}\n`);
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = connectTarget(req.url);
    if (target === undefined) {
      client.end(
        'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\noxydra: CONNECT needs host:port\n',
      );
      return;
    }
    if (!decide('CONNECT', target.host, target.port)) {
      const body = refusalText(target.host, target.port, fix);
      client.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, timeout });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('connect timeout')));
    upstream.on('error', (error) => {
      if (client.writable && !upstream.readableEnded) {
        client.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n\r\noxydra: ${target.host}:${target.port} failed: ${error.message}\n`,
        );
      }
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      // The proxy serves commands while they run; it must not keep the process alive by itself.
      server.unref();
      const address = server.address();
      resolve({
        ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
        ...(address !== null && typeof address === 'object' ? { port: address.port } : {}),
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    };
    if (options.socketPath !== undefined) server.listen(options.socketPath, listening);
    else server.listen(options.port ?? 0, '127.0.0.1', listening);
  });
}
