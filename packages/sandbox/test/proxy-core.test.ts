/**
 * The proxy core's own duties, which the allowlist and browser proxies' tests do not reach:
 * hop-by-hop headers dropped both ways, the policy's dial target used instead of the asked
 * host, an upstream that fails answered 502, and close() cutting tunnels still open.
 */
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer } from 'node:net';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProxyCore, type ProxyTarget, startProxyCore } from '../src/index.js';

let proxy: ProxyCore | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  for (const server of servers.splice(0)) server.close();
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return (server.address() as AddressInfo).port;
}

function get(target: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy!.port, path: target, headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('the proxy core', () => {
  it('dials where the policy says and drops hop-by-hop headers both ways', async () => {
    const seen: Record<string, unknown>[] = [];
    const upstreamPort = await listen(
      createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(200, { 'proxy-authenticate': 'Basic realm="upstream"', 'x-kept': 'yes' }).end('ok');
      }),
    );
    const asked: ProxyTarget[] = [];
    proxy = await startProxyCore({
      port: 0,
      decide: (target) => {
        asked.push(target);
        return { dial: { host: '127.0.0.1', family: 4, port: upstreamPort } };
      },
    });
    const answer = await get('http://Named.Example:81/p?q=1', {
      'proxy-authorization': 'Basic c2VjcmV0',
      'proxy-connection': 'keep-alive',
      'x-end': 'to-end',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('ok');
    expect(answer.headers['x-kept']).toBe('yes');
    expect(answer.headers['proxy-authenticate']).toBeUndefined();
    expect(seen[0]).toMatchObject({ host: 'named.example:81', 'x-end': 'to-end' });
    expect(seen[0]?.['proxy-authorization']).toBeUndefined();
    expect(seen[0]?.['proxy-connection']).toBeUndefined();
    expect(asked).toMatchObject([{ kind: 'http', method: 'GET', host: 'named.example', port: 81 }]);
  });

  it('answers 502 naming the target when the upstream refuses the connection', async () => {
    const closed = createTcpServer();
    await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', ready));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    proxy = await startProxyCore({
      port: 0,
      decide: () => ({ dial: { host: '127.0.0.1', port: deadPort } }),
    });
    const answer = await get(`http://gone.example:${deadPort}/`, {});
    expect(answer.status).toBe(502);
    expect(answer.body).toContain(`oxydra: gone.example:${deadPort} failed: connect ECONNREFUSED`);
  });

  it('close() cuts a tunnel that is still open', async () => {
    const echo = createTcpServer((socket) => socket.pipe(socket));
    await new Promise<void>((ready) => echo.listen(0, '127.0.0.1', ready));
    const echoPort = (echo.address() as AddressInfo).port;
    proxy = await startProxyCore({
      port: 0,
      decide: () => ({ dial: { host: '127.0.0.1', port: echoPort } }),
    });
    const client = connect(proxy.port!, '127.0.0.1');
    const received: string[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    const ended = new Promise<void>((done) => client.on('close', () => done()));
    client.write(`CONNECT echo.example:${echoPort} HTTP/1.1\r\nhost: echo.example:${echoPort}\r\n\r\nping`);
    await pollUntil(
      () => received.join('').includes('ping'),
      () => `ping echoed (received ${JSON.stringify(received.join(''))})`,
      {
        timeoutMs: 1000,
        intervalMs: 50,
      },
    );
    expect(received.join('')).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\n/);
    await proxy.close();
    proxy = undefined;
    await ended;
    echo.close();
  });
});
