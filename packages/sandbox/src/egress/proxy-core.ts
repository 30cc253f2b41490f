/**
 * The one forwarding proxy every Oxydra egress path runs on: the sandbox's and the container
 * tier's host allowlist (proxy.ts) and the browser's address policy (@oxydra/tools
 * browser/egress-proxy.ts) are policies on it. It speaks what HTTP clients send a proxy:
 * absolute-form `http://` requests, forwarded with the hop-by-hop headers dropped both ways, and
 * CONNECT tunnels (HTTPS, WebSockets, anything tunnelled). For each, the policy's `decide` says
 * where to dial (the policy may pin a checked IP literal, so no second DNS answer slips in
 * between check and connection) or why not; a request that is not one of the two shapes gets a
 * 400 without asking it. The core owns what must be the same everywhere: parsing, forwarding,
 * timeouts, socket bookkeeping, and closing every socket on close.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { normaliseHost } from '@oxydra/types';

/** What a client asked the proxy for. `host` is normalised (lower case, no brackets). */
export type ProxyTarget =
  | { kind: 'http'; method: string; url: URL; host: string; port: number }
  | { kind: 'connect'; method: 'CONNECT'; host: string; port: number };

/** Where to connect (`family` when `host` is an IP literal), or the refusal's status and text. */
export type ProxyVerdict =
  | { dial: { host: string; port: number; family?: 4 | 6 } }
  | { refuse: { status: number; text: string } };

export interface ProxyCoreOptions {
  /** A Unix socket to listen on, or else a TCP port on 127.0.0.1 (0: any). */
  socketPath?: string;
  port?: number;
  decide(target: ProxyTarget): ProxyVerdict | Promise<ProxyVerdict>;
  /** Told of every request refused before `decide` (not a proxy request): the raw target and why. */
  onMalformed?: (raw: string, problem: string) => void;
  /** A credential check: requests failing it get 407 with `challenge` (before anything else). */
  authorize?: { check(req: IncomingMessage): boolean; challenge: string };
  /** An upstream that has not connected within this is given up (default 30 s). */
  connectTimeoutMs?: number;
  /** Idle client sockets and upstreams are dropped after this long (default: never). */
  idleMs?: number;
  /** Client connections at once (default: Node's, unlimited). */
  maxConnections?: number;
}

export interface ProxyCore {
  socketPath?: string;
  /** The TCP port, when listening on one. */
  port?: number;
  close(): Promise<void>;
}

/** Headers that belong to one hop (client to proxy, proxy to server), never forwarded. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_HEADERS.has(name)) kept[name] = value;
  return kept;
}

/** A raw HTTP/1.1 answer for a CONNECT socket (no HTTP server response exists there). */
function rawAnswer(status: number, text = '', headers = ''): string {
  const body = text === '' ? '' : `${text}\n`;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers}content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** An absolute-form `http://` request target, or the problem with it. */
function httpTarget(method: string, raw: string): ProxyTarget | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'a proxy request needs an absolute http:// URL';
  }
  if (url.protocol !== 'http:') return `${url.protocol} is not proxied; use CONNECT`;
  return { kind: 'http', method, url, host: normaliseHost(url.hostname), port: Number(url.port || 80) };
}

/** CONNECT's `host:port` (IPv6 bracketed; no path, user or blank), or the problem with it. */
function connectTarget(raw: string): ProxyTarget | string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s/:@[\]]+):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) return 'CONNECT needs host:port';
  return { kind: 'connect', method: 'CONNECT', host: normaliseHost(match[1]!), port };
}

export function startProxyCore(options: ProxyCoreOptions): Promise<ProxyCore> {
  const connectTimeout = options.connectTimeoutMs ?? 30_000;
  // Tracked by hand: tunnelled sockets leave the HTTP server's own bookkeeping.
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const malformed = (raw: string, problem: string): void => options.onMalformed?.(raw, problem);
  /** A fresh upstream socket that gives up on connecting, then on idling (if set). */
  const dialed = (socket: Socket): Socket => {
    track(socket);
    socket.setTimeout(connectTimeout, () => socket.destroy(new Error('connect timeout')));
    socket.once('connect', () => socket.setTimeout(options.idleMs ?? 0));
    return socket;
  };
  const failure = (target: ProxyTarget, error: Error): string =>
    `oxydra: ${target.host}:${target.port} failed: ${error.message}`;

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.authorize && !options.authorize.check(req)) {
      res.writeHead(407, { 'proxy-authenticate': options.authorize.challenge, 'content-length': '0' }).end();
      return;
    }
    const raw = req.url ?? '';
    const target = httpTarget(req.method ?? 'GET', raw);
    if (typeof target === 'string') {
      malformed(raw, target);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`oxydra: ${target}\n`);
      return;
    }
    const verdict = await options.decide(target);
    if ('refuse' in verdict) {
      res.writeHead(verdict.refuse.status, { 'content-type': 'text/plain' }).end(`${verdict.refuse.text}\n`);
      return;
    }
    const url = (target as { url: URL }).url;
    const upstream = httpRequest({
      ...verdict.dial,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...endToEnd(req.headers), host: url.host },
      agent: false,
    });
    upstream.on('socket', dialed);
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`${failure(target, error)}\n`);
    });
    req.pipe(upstream);
  }

  async function tunnel(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    if (options.authorize && !options.authorize.check(req)) {
      client.end(rawAnswer(407, '', `proxy-authenticate: ${options.authorize.challenge}\r\n`));
      return;
    }
    const raw = req.url ?? '';
    const target = connectTarget(raw);
    if (typeof target === 'string') {
      malformed(raw, target);
      client.end(rawAnswer(400, `oxydra: ${target}`));
      return;
    }
    const verdict = await options.decide(target);
    if ('refuse' in verdict) {
      client.end(rawAnswer(verdict.refuse.status, verdict.refuse.text));
      return;
    }
    const upstream = dialed(connect(verdict.dial));
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      if (client.writable && upstream.connecting) client.end(rawAnswer(502, failure(target, error)));
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  const server = createServer((req, res) => void forward(req, res));
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  server.on('connection', (socket: Socket) => {
    track(socket);
    if (options.idleMs !== undefined) socket.setTimeout(options.idleMs, () => socket.destroy());
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    void tunnel(req, client as Socket, head);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      // A proxy serves others while they run; it must not keep the process alive by itself.
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
