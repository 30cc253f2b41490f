/**
 * The browser's only way out: an HTTP proxy on loopback that Chromium sends every request
 * through (plain HTTP as absolute-form requests, HTTPS and WebSockets as CONNECT tunnels). For
 * each one it resolves the host itself, checks every address against the same EgressPolicy as
 * web_fetch (safe-fetch's checkedTarget) and then dials the checked IP literal, never the name:
 * no second DNS answer can slip in between the check and the connection (DNS rebinding).
 * Refusals are answered 403 and reported, so the tool can tell the model what was held back.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EgressPolicy } from '../web/address-policy.js';
import { type ConnectTarget, checkedTarget, type Resolver, systemResolver } from '../web/safe-fetch.js';

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

const PROXY_CHALLENGE = 'Basic realm="oxydra-browser"';
/** Idle sockets are dropped after this long: a page cannot hold connections open forever. */
const SOCKET_IDLE_MS = 60_000;
/** Connections at once per proxy: a page opening thousands is held at this. */
const MAX_CONNECTIONS = 256;
/** Headers that belong to the hop between Chromium and the proxy, never forwarded. */
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

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const resolve = options.resolve ?? systemResolver;
  const credentials = { username: 'oxydra', password: randomBytes(24).toString('base64url') };
  const expected = Buffer.from(
    `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
  );
  /** Whether the request carries this proxy's credentials (compared in constant time). */
  const authorized = (req: IncomingMessage): boolean => {
    const given = Buffer.from(String(req.headers['proxy-authorization'] ?? ''));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const refused = (target: string, reason: string): void => options.onRefused?.(target, reason);
  /** The checked address for `url`, or the refusal's text. */
  const check = async (url: URL): Promise<ConnectTarget | string> => {
    if (!options.policy) return 'the browser itself may not reach the network';
    try {
      return await checkedTarget(url, options.policy, resolve);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const server: Server = createServer((req, res) => {
    void forward(req, res);
  });
  server.maxConnections = MAX_CONNECTIONS;
  // Tracked by hand: tunnelled sockets leave the HTTP server's own bookkeeping.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(SOCKET_IDLE_MS, () => socket.destroy());
  });

  async function forward(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    if (!authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': PROXY_CHALLENGE, 'content-length': '0' }).end();
      return;
    }
    const url = proxiedUrl(req.url);
    if (!url) {
      refused(String(req.url), 'not an http URL');
      res.writeHead(403, { 'content-type': 'text/plain' }).end('refused by Oxydra: not an http URL');
      return;
    }
    const target = await check(url);
    if (typeof target === 'string') {
      refused(url.href, target);
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`refused by Oxydra: ${target}`);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value;
    headers.host = url.host;
    const upstream = httpRequest(
      {
        host: target.address,
        family: target.family,
        port: target.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: false,
      },
      (answer) => {
        const back: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers))
          if (value !== undefined && !HOP_HEADERS.has(name)) back[name] = value;
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
      },
    );
    upstream.setTimeout(SOCKET_IDLE_MS, () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream failed');
      else res.destroy();
    });
    req.pipe(upstream);
  }

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    void tunnel(req, client as Socket, head);
  });

  async function tunnel(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    if (!authorized(req)) {
      client.end(
        `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: ${PROXY_CHALLENGE}\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    const url = connectUrl(req.url);
    const target = url ? await check(url) : 'not a host:port';
    if (!url || typeof target === 'string') {
      refused(url ? url.href : String(req.url), typeof target === 'string' ? target : 'not a host:port');
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect({ host: target.address, family: target.family, port: target.port });
    upstream.setTimeout(SOCKET_IDLE_MS, () => upstream.destroy());
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (client.writable && upstream.connecting) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ready);
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    credentials,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** An absolute-form request target (`http://host/path`); Chromium tunnels everything else. */
function proxiedUrl(raw: string | undefined): URL | undefined {
  try {
    const url = new URL(raw ?? '');
    return url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** CONNECT's `host:port` (IPv6 bracketed) as a URL the policy can read; https for port 443. */
function connectUrl(raw: string | undefined): URL | undefined {
  if (raw === undefined || !/^(\[[0-9a-fA-F:.]+\]|[^\s/:@[\]]+):\d{1,5}$/.test(raw)) return undefined;
  try {
    const url = new URL(`https://${raw}/`);
    // new URL drops a default port; the policy's urlPort gives it back from the scheme.
    return url;
  } catch {
    return undefined;
  }
}
