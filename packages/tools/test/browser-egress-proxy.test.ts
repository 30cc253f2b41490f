/**
 * The browser's egress proxy on real sockets, spoken to as Chromium does: absolute-form HTTP
 * requests and CONNECT tunnels. Host names resolve through a stand-in resolver, so a name can
 * resolve to loopback, or to a mixed public-and-private answer (the rebinding set-up).
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EGRESS_MAX_CONNECTIONS } from '@oxydra/sandbox';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { type EgressProxy, startEgressProxy } from '../src/browser/egress-proxy.js';
import { EgressPolicy } from '../src/web/address-policy.js';
import { fakeResolver, type LocalServer, localServer, PUBLIC_IP } from './web-helpers.js';

let proxy: EgressProxy | undefined;
let server: LocalServer | undefined;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  proxy = undefined;
  server = undefined;
});

/** The Proxy-Authorization header Chromium sends once challenged (`anonymous`: none). */
function authorization(anonymous = false): Record<string, string> {
  if (anonymous) return {};
  const { username, password } = proxy!.credentials;
  return { 'proxy-authorization': `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

/** A plain-HTTP request through the proxy: its status and body. */
function viaProxy(target: string, anonymous = false): Promise<{ status: number; body: string }> {
  const { port } = new URL(proxy!.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        headers: { host: new URL(target).host, ...authorization(anonymous) },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The proxy's first answer line to `CONNECT authority`. */
function tunnel(authority: string, anonymous = false): Promise<string> {
  const { port } = new URL(proxy!.url);
  const auth = Object.entries(authorization(anonymous))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`),
    );
    socket.once('data', (chunk: Buffer) => {
      resolve(chunk.toString().split('\r\n')[0] ?? '');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('browser egress proxy', () => {
  it('forwards an allowlisted host and refuses loopback by address, by name and by tunnel', async () => {
    server = await localServer((_req, res) => res.end('inside'));
    const refused: string[] = [];
    proxy = await startEgressProxy({
      policy: new EgressPolicy([`127.0.0.1:${server.port}`]),
      resolve: fakeResolver({ 'sneaky.test': ['127.0.0.1'] }),
      onRefused: (target, reason) => refused.push(`${target} ${reason}`),
    });
    expect(await viaProxy(`http://127.0.0.1:${server.port}/ok`)).toEqual({ status: 200, body: 'inside' });
    // The allowlist names 127.0.0.1 at the server's port only; a name resolving there is let
    // through at that port (web_fetch's rule) and refused at any other.
    expect((await viaProxy(`http://sneaky.test:${server.port}/named`)).status).toBe(200);
    expect((await viaProxy('http://sneaky.test:9/')).status).toBe(403);
    expect((await viaProxy(`http://[::1]:${server.port}/`)).status).toBe(403);
    expect(await tunnel(`127.0.0.2:${server.port}`)).toMatch(/^HTTP\/1\.1 403/);
    expect(await tunnel('sneaky.test:9')).toMatch(/^HTTP\/1\.1 403/);
    expect(await tunnel(`169.254.169.254:443`)).toMatch(/^HTTP\/1\.1 403/);
    expect(server.seen.map((s) => s.url)).toEqual(['/ok', '/named']);
    expect(refused).toHaveLength(5);
    expect(refused.join('\n')).toMatch(/link-local/);
  });

  it('serves only a client with its credentials (another local process cannot use it as a way out)', async () => {
    server = await localServer((_req, res) => res.end('inside'));
    proxy = await startEgressProxy({ policy: new EgressPolicy([`127.0.0.1:${server.port}`]) });
    expect((await viaProxy(`http://127.0.0.1:${server.port}/`, true)).status).toBe(407);
    expect(await tunnel(`127.0.0.1:${server.port}`, true)).toMatch(/^HTTP\/1\.1 407/);
    const { username } = proxy.credentials;
    const wrong = `Basic ${Buffer.from(`${username}:guess`).toString('base64')}`;
    const guessed = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: new URL(proxy!.url).port,
          path: `http://127.0.0.1:${server!.port}/`,
          headers: { 'proxy-authorization': wrong },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(guessed).toBe(407);
    expect(server.seen).toEqual([]);
  });

  it('refuses a name whose answer mixes a public and a private address (rebinding)', async () => {
    server = await localServer((_req, res) => res.end('inside'));
    proxy = await startEgressProxy({
      policy: new EgressPolicy(),
      resolve: fakeResolver({ 'rebind.test': [PUBLIC_IP, '127.0.0.1'] }),
    });
    expect((await viaProxy(`http://rebind.test:${server.port}/`)).status).toBe(403);
    expect(await tunnel(`rebind.test:${server.port}`)).toMatch(/^HTTP\/1\.1 403/);
    expect(server.seen).toEqual([]);
  });

  it('the browser-wide fallback refuses everything; non-http schemes and malformed targets get 400', async () => {
    proxy = await startEgressProxy({ policy: undefined });
    expect((await viaProxy('http://example.test/')).status).toBe(403);
    expect(await tunnel('example.test:443')).toMatch(/^HTTP\/1\.1 403/);
    await proxy.close();
    const refused: string[] = [];
    proxy = await startEgressProxy({
      policy: new EgressPolicy(),
      onRefused: (target) => refused.push(target),
    });
    expect((await viaProxy('ftp://example.test/')).status).toBe(400);
    expect(await tunnel('user@host:443')).toMatch(/^HTTP\/1\.1 400/);
    expect(refused).toEqual(['ftp://example.test/', 'user@host:443']);
  });

  it('holds at most EGRESS_MAX_CONNECTIONS connections at once; more are closed as they arrive', async () => {
    proxy = await startEgressProxy({ policy: undefined });
    const port = Number(new URL(proxy.url).port);
    /** A connection that asks to tunnel: the proxy's first answer line, or '' if closed unanswered. */
    const ask = (socket: Socket) =>
      new Promise<string>((resolve) => {
        socket.write('CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n');
        socket.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\r\n')[0] ?? ''));
        socket.once('close', () => resolve(''));
      });
    const open = () =>
      new Promise<Socket>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', () => {});
      });
    const held: Socket[] = [];
    try {
      // Held open without a request (an answered one is closed after its answer); taken by the
      // proxy in the order they connected.
      for (let i = 0; i < EGRESS_MAX_CONNECTIONS; i++) held.push(await open());
      const extra = await open();
      held.push(extra);
      expect(await ask(extra)).toBe('');
      // One closed makes room for the next.
      held[0]?.destroy();
      const next = await pollUntil(async () => {
        const socket = await open();
        held.push(socket);
        return (await ask(socket)) || undefined;
      }, 'a connection to be taken once one was closed');
      expect(next).toMatch(/^HTTP\/1\.1 407/);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});
