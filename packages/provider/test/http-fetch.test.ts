/**
 * The providers' default fetch (httpFetch in shared/http.ts) keeps the parts of fetch's contract our
 * requests rely on, on node:http instead of undici: the model call leaves undici's WebAssembly
 * parser idle. Real servers on loopback; the process-exit case in a real child process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { diagnoseNetworkError } from '../src/shared/diagnose.js';
import { createHttpFetch, httpFetch, refusingRedirects } from '../src/shared/http.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, TEST_KEY } from './helpers-adapters.js';

const servers: Server[] = [];
afterEach(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SSE_ANSWER = [
  `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi there' } }] })}`,
  `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}`,
  'data: [DONE]',
  '',
].join('\n\n');

/**
 * What a Node child running `script` (an ES module; `args` its argv) prints, once it exits by
 * itself with status 0; killed after 30 s, so a process held open fails the test.
 */
async function childOutput(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(killer);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  return stdout.trim();
}

const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Collects the names of the diagnostics channels a block's requests publish on. */
async function channelsSeen(block: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  const names = ['undici:request:create', 'http.client.request.start'];
  const listeners = names.map((name) => [name, () => seen.add(name)] as const);
  for (const [name, listener] of listeners) subscribe(name, listener);
  try {
    await block();
  } finally {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
  }
  return seen;
}

describe("the providers' default fetch", () => {
  it('sends a model call through node:http, not undici, with the same answer', async () => {
    const requests: { headers: IncomingMessage['headers']; body: string }[] = [];
    const base = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(SSE_ANSWER);
      });
    });
    const provider = createOpenAIChatProvider({ name: 'local', baseURL: `${base}/v1`, apiKey: TEST_KEY });
    let text = '';
    const seen = await channelsSeen(async () => {
      text = (await collectResponse(provider.stream(BASIC_CONTEXT))).message.content;
    });
    expect(text).toBe('Hi there');
    expect([...seen]).toEqual(['http.client.request.start']);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers).toMatchObject({
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(requests[0]?.body ?? '')),
    });
    expect(JSON.parse(requests[0]?.body ?? '')).toMatchObject({ model: BASIC_CONTEXT.model, stream: true });
  });

  it("uses a fetch the program swapped in, as before (a test's interceptor, instrumentation)", async () => {
    const swapped = vi.fn(
      async () => new Response(SSE_ANSWER, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    );
    vi.stubGlobal('fetch', swapped);
    await refusingRedirects()('http://127.0.0.1:1/v1/chat/completions', { method: 'POST', body: '{}' });
    expect(swapped).toHaveBeenCalledTimes(1);
  });

  it('leaves the requests to the global fetch when Node is asked to route fetch through a proxy', async () => {
    const base = await serve((_req, res) => res.end('ok'));
    vi.stubEnv('NODE_USE_ENV_PROXY', '1');
    const seen = await channelsSeen(async () => {
      await (await refusingRedirects()(`${base}/x`)).text();
    });
    expect(seen.has('undici:request:create')).toBe(true);
    expect(seen.has('http.client.request.start')).toBe(false);
  });

  it('follows a dispatcher the program gave fetch (a proxy agent), by going through fetch', async () => {
    const base = await serve((_req, res) => res.end('ok'));
    await (await refusingRedirects()(`${base}/first`)).text(); // fetch's own dispatcher seen first
    const slot = globalThis as unknown as Record<symbol, unknown>;
    const own = slot[DISPATCHER] as { constructor: new (options: object) => object };
    const connections: string[] = [];
    slot[DISPATCHER] = new own.constructor({
      connect(
        options: { hostname: string; port: string },
        done: (error: Error | null, socket: Socket) => void,
      ) {
        connections.push(`${options.hostname}:${options.port}`);
        const socket = netConnect(Number(options.port), options.hostname, () => done(null, socket));
      },
    });
    try {
      expect(await (await refusingRedirects()(`${base}/second`)).text()).toBe('ok');
    } finally {
      slot[DISPATCHER] = own;
    }
    expect(connections).toEqual([new URL(base).host]);
  });

  it('sends every request through fetch once the process requires it (the runner guest behind its egress proxy)', async () => {
    const base = await serve((_req, res) => res.end('ok'));
    const script = `const { subscribe } = await import('node:diagnostics_channel');
      const { refusingRedirects, requireGlobalFetch } = await import(process.argv[1]);
      const seen = [];
      subscribe('undici:request:create', () => seen.push('fetch'));
      subscribe('http.client.request.start', () => seen.push('node:http'));
      await (await refusingRedirects()(process.argv[2])).text();
      requireGlobalFetch();
      await (await refusingRedirects()(process.argv[2])).text();
      console.log(seen.join(' '));`;
    const module = fileURLToPath(new URL('../dist/shared/http.js', import.meta.url));
    expect(await childOutput(script, [module, `${base}/x`])).toBe('node:http fetch');
  });

  it('keeps one connection for calls in turn', async () => {
    const sockets = new Set<unknown>();
    const base = await serve((req, res) => {
      sockets.add(req.socket);
      req.resume();
      res.end('answer');
    });
    for (let call = 0; call < 3; call++)
      expect(await (await httpFetch(`${base}/x`, { method: 'POST', body: 'q' })).text()).toBe('answer');
    expect(sockets.size).toBe(1);
  });

  it("says a failed connection as fetch does: TypeError('fetch failed') with the system error as its cause", async () => {
    const base = await serve(() => {});
    const port = new URL(base).port;
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const error = await httpFetch(`http://127.0.0.1:${port}/x`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it("refuses a redirect as fetch's redirect: 'error' does, so refusingRedirects words it", async () => {
    const base = await serve((_req, res) => res.writeHead(307, { location: 'http://elsewhere.test/' }).end());
    const error = await refusingRedirects()(`${base}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'unsupported_redirect' });
    expect((error as Error).message).toContain('set base_url to the address it redirects to');
  });

  it("rejects with the signal's reason when aborted before the answer, and errors the body when aborted during it", async () => {
    const base = await serve((req, res) => {
      req.resume();
      if (req.url === '/slow') return; // never answers
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
    });
    const before = new AbortController();
    const pending = httpFetch(`${base}/slow`, { signal: before.signal });
    before.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');
    await expect(httpFetch(`${base}/slow`, { signal: before.signal })).rejects.toThrow('stop now');

    const during = new AbortController();
    const response = await httpFetch(`${base}/stream`, { signal: during.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first part');
    during.abort(new Error('cut'));
    await expect(reader.read()).rejects.toThrow('cut');
  });

  it('gives up on a server that goes quiet, before its head and in its body, with the codes fetch uses', async () => {
    const quickIdle = createHttpFetch(200);
    const base = await serve((req, res) => {
      req.resume();
      if (req.url === '/body') res.writeHead(200).write('partial');
    });
    await expect(quickIdle(`${base}/head`)).rejects.toMatchObject({
      cause: {
        code: 'UND_ERR_HEADERS_TIMEOUT',
        message: "the server sent nothing for 0.2 s while the answer's head was awaited",
      },
    });
    const response = await quickIdle(`${base}/body`);
    await expect(response.text()).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
  });

  it('decompresses a body the server compressed, keeps repeated headers and a status outside 200-599 as 502', async () => {
    const base = await serve((req, res) => {
      req.resume();
      if (req.url === '/odd') {
        res.socket?.end('HTTP/1.1 999 Odd\r\ncontent-length: 3\r\n\r\nodd');
        return;
      }
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-encoding': 'gzip', 'x-one': 'one' }).end(gzipSync('hello, compressed'));
    });
    const response = await httpFetch(`${base}/gz#part`);
    expect(response.url).toBe(`${base}/gz`);
    expect(await response.text()).toBe('hello, compressed');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-one')).toBe('one');
    const odd = await httpFetch(`${base}/odd`);
    expect({ status: odd.status, statusText: odd.statusText, body: await odd.text() }).toEqual({
      status: 502,
      statusText: 'HTTP 999 Odd',
      body: 'odd',
    });
  });

  it('hands a request it does not take (a streamed body, a data: URL) to the global fetch', async () => {
    expect(await (await httpFetch('data:,plain')).text()).toBe('plain');
    const base = await serve((req, res) => req.pipe(res));
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const init = { method: 'POST', body: streamed, duplex: 'half' } as RequestInit;
    expect(await (await httpFetch(`${base}/echo`, init)).text()).toBe('streamed');
  });

  it('speaks TLS as fetch did: a self-signed server is refused with its code, trusted by NODE_EXTRA_CA_CERTS', async () => {
    const folder = tempWorkspace({ prefix: 'oxydra-http-fetch-' });
    const [keyFile, certFile] = [folder.path('key.pem'), folder.path('cert.pem')];
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
    expect(made.status).toBe(0);
    const server = createHttpsServer(
      { key: readFileSync(keyFile), cert: readFileSync(certFile) },
      (req, res) => {
        req.resume();
        res.end('secret answer');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      await expect(httpFetch(url)).rejects.toMatchObject({
        message: 'fetch failed',
        cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      });
      const plain = await serve((_req, res) => res.end('plain'));
      // https:// to a plain-HTTP server: node:https says EPROTO where fetch said the SSL code;
      // both are told as a TLS failure pointing at http://.
      const wrongProtocol = await httpFetch(plain.replace('http:', 'https:')).catch(
        (caught: unknown) => caught,
      );
      expect(diagnoseNetworkError(wrongProtocol)).toMatchObject({
        reason: expect.stringMatching(/^TLS handshake failed/),
        hint: expect.stringContaining('http:// URL'),
      });
      const module = fileURLToPath(new URL('../dist/shared/http.js', import.meta.url));
      const script = `const { httpFetch } = await import(process.argv[1]);
        console.log(await (await httpFetch(process.argv[2])).text());`;
      expect(await childOutput(script, [module, url], { NODE_EXTRA_CA_CERTS: certFile })).toBe(
        'secret answer',
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      folder.cleanup();
    }
  });

  it('lets a process that made a call exit: a kept connection does not hold it open', async () => {
    // The server keeps idle connections for a minute, so only the client can be the one to let go.
    const base = await serve((req, res) => {
      req.resume();
      res.end('done');
    });
    const server = servers.at(-1);
    if (server) server.keepAliveTimeout = 60_000;
    const module = fileURLToPath(new URL('../dist/shared/http.js', import.meta.url));
    const script = `const { httpFetch } = await import(process.argv[1]);
      console.log(await (await httpFetch(process.argv[2])).text());`;
    expect(await childOutput(script, [module, `${base}/x`])).toBe('done');
  });
});
