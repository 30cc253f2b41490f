import { afterEach, describe, expect, it } from 'vitest';
import { EgressPolicy } from '../src/web/address-policy.js';
import { createSafeFetch, EgressRefused, type SafeFetchOptions } from '../src/web/safe-fetch.js';
import { fakeResolver, type LocalServer, localServer, PUBLIC_IP, toLocal } from './web-helpers.js';

let server: LocalServer | undefined;

/** A safeFetch where example.test is public and every checked address leads to `port`. */
const viaExample = (port: number, more: SafeFetchOptions = {}) =>
  createSafeFetch({
    resolve: fakeResolver({ 'example.test': [PUBLIC_IP] }),
    connect: toLocal(port),
    ...more,
  });
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('safeFetch refusals', () => {
  const safeFetch = createSafeFetch({
    resolve: fakeResolver({
      'evil.test': ['127.0.0.1'],
      'mixed.test': [PUBLIC_IP, '192.168.0.10'],
      'mixed6.test': ['2606:4700::1', 'fd00::1'],
    }),
  });

  it.each([
    ['http://127.0.0.1/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:7f00:1]/', /loopback/],
    ['http://2130706433/', /loopback/], // decimal 127.0.0.1; URL normalizes it
    ['http://0x7f.1/', /loopback/],
    ['http://evil.test/', /loopback.*evil\.test resolves to 127\.0\.0\.1/],
    ['http://mixed.test/', /private.*192\.168\.0\.10/],
    ['http://mixed6.test/', /unique-local/],
    ['file:///etc/passwd', /only http and https/],
    ['ftp://example.test/x', /only http and https/],
    ['http://user:pw@example.test/', /credentials/],
    ['not a url', /not a valid URL/],
  ])('refuses %s', async (url, message) => {
    const error = await safeFetch(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EgressRefused);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a real local server by default, without connecting', async () => {
    server = await localServer((_req, res) => res.end('secret'));
    await expect(createSafeFetch()(`http://127.0.0.1:${server.port}/`)).rejects.toThrow(/loopback/);
    await expect(createSafeFetch()(`http://localhost:${server.port}/`)).rejects.toThrow(/loopback/);
    expect(server.seen).toHaveLength(0);
  });
});

describe('safeFetch through the seams', () => {
  it('fetches a checked public name, connecting to the checked address with the right Host', async () => {
    server = await localServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
    );
    const connect = toLocal(server.port);
    const resolve = fakeResolver({ 'example.test': [PUBLIC_IP] });
    const response = await createSafeFetch({ resolve, connect })('http://example.test/a?b=1');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('hello');
    expect(response.truncated).toBe(false);
    expect(connect.targets).toEqual([{ address: PUBLIC_IP, family: 4, port: 80 }]);
    expect(server.seen[0]).toMatchObject({ method: 'GET', url: '/a?b=1', host: 'example.test' });
    expect(resolve.calls).toEqual(['example.test']);
  });

  it('follows redirects, checking each hop, and refuses one to 127.0.0.1', async () => {
    server = await localServer((req, res) => {
      if (req.url === '/start') res.writeHead(302, { location: '/next' }).end();
      else if (req.url === '/next') res.writeHead(301, { location: 'http://other.test/end' }).end();
      else if (req.url === '/end') res.end('arrived');
      else res.writeHead(302, { location: 'http://127.0.0.1/admin' }).end();
    });
    const connect = toLocal(server.port);
    const safeFetch = createSafeFetch({
      resolve: fakeResolver({ 'example.test': [PUBLIC_IP], 'other.test': ['1.1.1.1'] }),
      connect,
    });
    const ok = await safeFetch('http://example.test/start');
    expect(ok.body.toString()).toBe('arrived');
    expect(ok.url).toBe('http://other.test/end');
    expect(connect.targets.map((t) => t.address)).toEqual([PUBLIC_IP, PUBLIC_IP, '1.1.1.1']);

    const before = server.seen.length;
    await expect(safeFetch('http://example.test/evil')).rejects.toThrow(
      /http:\/\/127\.0\.0\.1\/admin.*loopback/,
    );
    expect(server.seen.length).toBe(before + 1); // the redirecting hop only
  });

  it('refuses a redirect to a name that resolves privately, and redirect loops', async () => {
    server = await localServer((req, res) => {
      if (req.url === '/rebind') res.writeHead(307, { location: 'http://inner.test/' }).end();
      else res.writeHead(302, { location: '/loop' }).end();
    });
    const safeFetch = createSafeFetch({
      resolve: fakeResolver({ 'example.test': [PUBLIC_IP], 'inner.test': ['10.0.0.1'] }),
      connect: toLocal(server.port),
    });
    await expect(safeFetch('http://example.test/rebind')).rejects.toThrow(/private/);
    await expect(safeFetch('http://example.test/loop')).rejects.toThrow(/too many redirects/);
    expect(server.seen.filter((s) => s.url === '/loop')).toHaveLength(6);
  });

  it.each([
    ['file:///etc/passwd', /only http and https URLs can be fetched, not file:/],
    ['data:text/plain,hi', /only http and https URLs can be fetched, not data:/],
    ['http://user@example.test/', /credentials/],
    ['//169.254.169.254/latest/meta-data', /link-local/],
  ])('refuses a redirect to %s', async (location, message) => {
    server = await localServer((_req, res) => res.writeHead(302, { location }).end());
    await expect(viaExample(server.port)('http://example.test/')).rejects.toThrow(message);
    expect(server.seen).toHaveLength(1);
  });

  it('turns a POST into a GET on 303', async () => {
    server = await localServer((req, res) => {
      if (req.method === 'POST') res.writeHead(303, { location: '/done' }).end();
      else res.end(`${req.method} ${req.url}`);
    });
    const safeFetch = createSafeFetch({
      resolve: fakeResolver({ 'example.test': [PUBLIC_IP] }),
      connect: toLocal(server.port),
    });
    const response = await safeFetch('http://example.test/form', { method: 'POST', body: 'q=1' });
    expect(response.body.toString()).toBe('GET /done');
    expect(server.seen[0]).toMatchObject({ method: 'POST', body: 'q=1' });
  });

  it('caps a 6 MiB body at 5 MiB and says so', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    server = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 6; i++) res.write(chunk);
      res.end();
    });
    const safeFetch = createSafeFetch({
      resolve: fakeResolver({ 'example.test': [PUBLIC_IP] }),
      connect: toLocal(server.port),
    });
    const response = await safeFetch('http://example.test/big');
    expect(response.truncated).toBe(true);
    expect(response.body.length).toBe(5 * 1024 * 1024);
  });

  it('counts the cap after decompression', async () => {
    const { gzipSync } = await import('node:zlib');
    const packed = gzipSync(Buffer.alloc(64 * 1024, 'z'));
    server = await localServer((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(packed));
    const safeFetch = createSafeFetch({
      resolve: fakeResolver({ 'example.test': [PUBLIC_IP] }),
      connect: toLocal(server.port),
      maxBytes: 10_000,
    });
    const response = await safeFetch('http://example.test/');
    expect(response.truncated).toBe(true);
    expect(response.body.toString()).toBe('z'.repeat(10_000));
  });

  it.each([
    ['deflate', 'createDeflate'],
    ['br', 'createBrotliCompress'],
  ] as const)('stops a %s bomb at the cap too, reading no more of it', async (encoding, maker) => {
    const zlib = await import('node:zlib');
    // 64 MiB of zeros, sent packed as it is made: the cap must stop the reading, not the end.
    server = await localServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': encoding });
      const packer = zlib[maker]();
      packer.pipe(res);
      const zeros = Buffer.alloc(1024 * 1024);
      let left = 64;
      const more = (): void => {
        while (left > 0) {
          left--;
          if (!packer.write(zeros)) return void packer.once('drain', more);
        }
        packer.end();
      };
      more();
      res.on('close', () => packer.destroy());
    });
    const response = await viaExample(server.port, { maxBytes: 100_000 })('http://example.test/');
    expect(response.truncated).toBe(true);
    expect(response.body.length).toBe(100_000);
  });

  it.each([
    ['a body that trickles forever', 'body'],
    ['headers that trickle forever (slowloris)', 'headers'],
  ])('gives up on %s at its time limit', async (_what, part) => {
    const { createServer } = await import('node:net');
    const timers: NodeJS.Timeout[] = [];
    const raw = createServer((socket) => {
      socket.on('error', () => {});
      socket.write(
        part === 'body' ? 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n' : 'HTTP/1.1 200 OK\r\n',
      );
      timers.push(setInterval(() => socket.write(part === 'body' ? 'x' : 'x-more: y\r\n'), 20));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const { port } = raw.address() as import('node:net').AddressInfo;
    try {
      await expect(viaExample(port, { timeoutMs: 300 })('http://example.test/')).rejects.toThrow(
        'the request timed out',
      );
    } finally {
      for (const timer of timers) clearInterval(timer);
      raw.close();
    }
  });

  it('lets an allowlisted loopback host:port through, and no other port', async () => {
    server = await localServer((_req, res) => res.end('local ok'));
    const safeFetch = createSafeFetch({ policy: new EgressPolicy([`127.0.0.1:${server.port}`]) });
    expect((await safeFetch(`http://127.0.0.1:${server.port}/`)).body.toString()).toBe('local ok');
    await expect(safeFetch(`http://127.0.0.1:${server.port + 1}/`)).rejects.toThrow(/loopback/);
  });
});

describe("safeFetch and the caller's credentials", () => {
  it('sends Authorization, Cookie and Proxy-Authorization to the origin named, not to one a redirect names', async () => {
    const seen: { url: string; host: string; secret: boolean; kept: boolean }[] = [];
    server = await localServer((req, res) => {
      const secret = JSON.stringify(req.headers).includes('s3cret');
      seen.push({
        url: req.url ?? '',
        host: req.headers.host ?? '',
        secret,
        kept: req.headers['x-kept'] === 'yes',
      });
      if (req.url === '/start') res.writeHead(302, { location: '/same' }).end();
      else if (req.url === '/same') res.writeHead(307, { location: 'http://other.test/away' }).end();
      else if (req.url === '/away') res.writeHead(302, { location: 'http://example.test/back' }).end();
      else res.end('done');
    });
    const safeFetch = createSafeFetch({
      resolve: fakeResolver({ 'example.test': [PUBLIC_IP], 'other.test': ['1.1.1.1'] }),
      connect: toLocal(server.port),
    });
    const headers = {
      Authorization: 'Bearer s3cret',
      cookie: 'session=s3cret',
      'Proxy-Authorization': 'Basic s3cret',
      'x-kept': 'yes',
    };
    expect((await safeFetch('http://example.test/start', { headers })).body.toString()).toBe('done');
    // The last hop is home again, but by way of another server's redirect: still none.
    expect(seen).toEqual([
      { url: '/start', host: 'example.test', secret: true, kept: true },
      { url: '/same', host: 'example.test', secret: true, kept: true },
      { url: '/away', host: 'other.test', secret: false, kept: true },
      { url: '/back', host: 'example.test', secret: false, kept: true },
    ]);
  });
});
