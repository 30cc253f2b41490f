/**
 * DNS rebinding: every route answers only requests whose Host header names the gateway (its
 * bind address, loopback with the bound port, a wildcard bind's interface addresses, public
 * names); anything else gets 421 before the token is even looked at. The A2A card's URL comes
 * from the bind address or [a2a] public_url, never from the Host header. Real sockets, raw
 * HTTP (fetch cannot set Host), a real gateway on a real kernel.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';

interface Answer {
  status: number;
  body: string;
}

/** One request over a real socket to `address` (host:port of the socket), with the Host header given. */
function raw(
  target: { host: string; port: number },
  path: string,
  host: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path,
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        setHost: false,
        // One connection per request: a refused upgrade leaves its connection unusable.
        agent: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    // A WebSocket upgrade the gateway accepts ends here: 101.
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };
function upgradeHeaders(origin: string): Record<string, string> {
  return {
    ...auth,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-protocol': 'oxydra.v2',
    origin,
  };
}

/** Every kind of route: probes, the REST and OpenAI-compatible APIs, metrics, A2A, MCP, the WebSocket. */
function everyRoute(origin: string) {
  return [
    { path: '/healthz' },
    { path: '/readyz' },
    { path: '/v1/models', headers: auth },
    { path: '/metrics', headers: auth },
    { path: '/api/v1/sessions', headers: auth },
    {
      path: '/v1/chat/completions',
      method: 'POST',
      headers: json,
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    },
    { path: '/.well-known/agent-card.json' },
    {
      path: '/a2a',
      method: 'POST',
      headers: json,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: 'x' } }),
    },
    { path: '/mcp', method: 'POST', headers: json, body: '{}' },
    { path: '/ws', headers: upgradeHeaders(origin) },
    { path: '/nowhere', headers: auth },
  ];
}

function expectMisdirected(answer: Answer, what: string): void {
  expect(answer.status, what).toBe(421);
  expect(answer.body.trim().split('\n'), what).toHaveLength(1);
  expect(JSON.parse(answer.body).error.code, what).toBe('misdirected_request');
}

describe('a gateway bound to 127.0.0.1', () => {
  let env: TestGateway;
  let target: { host: string; port: number };
  beforeAll(async () => {
    env = await startTestGateway({ webRoot: '/nonexistent-web-root' });
    target = { host: '127.0.0.1', port: env.gateway.port };
  });
  afterAll(() => env.cleanup());

  it('answers 421 to a rebound name on every route, WebSocket upgrade with the right token included', async () => {
    const evil = `evil.example:${target.port}`;
    for (const route of [...everyRoute(`http://${evil}`), { path: '/' }, { path: '/assets/app.js' }]) {
      const answer = await raw(target, route.path, evil, route);
      expectMisdirected(answer, `${route.method ?? 'GET'} ${route.path}`);
      expect(answer.body).toContain('[gateway] public_hosts');
    }
    expect(env.spawns).toHaveLength(0);
  });

  it('refuses near misses: loopback on another port or none, names that only contain the address, userinfo', async () => {
    const { port } = target;
    for (const host of [
      'evil.example',
      `localhost:${port + 1}`,
      'localhost',
      '127.0.0.1',
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `evil.localhost:${port}`,
      `user@127.0.0.1:${port}`,
      `127.0.0.1:${port}/x`,
      `[::1]:${port}:1`,
      '',
    ]) {
      expectMisdirected(await raw(target, '/healthz', host), JSON.stringify(host));
    }
  });

  it('refuses a request without a Host header (HTTP/1.0)', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(target.port, target.host, () => socket.end('GET /healthz HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.[01] 421 /);
    expect(reply).toContain('no Host header');
  });

  it('answers its own address and the loopback names with its port, on every route', async () => {
    const { port } = target;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost.:${port}`, `[::1]:${port}`]) {
      for (const route of everyRoute(`http://${host}`)) {
        const answer = await raw(target, route.path, host, route);
        const what = `${host} ${route.method ?? 'GET'} ${route.path}`;
        expect(answer.status, what).not.toBe(421);
        expect(answer.status, what).not.toBe(401);
        if (route.path === '/ws') expect(answer.status, what).toBe(101);
        if (route.path === '/healthz') expect(answer.status, what).toBe(200);
      }
    }
  });

  it("builds the agent card from the bind address, never from the request's Host", async () => {
    for (const host of [`localhost:${target.port}`, `[::1]:${target.port}`]) {
      const answer = await raw(target, '/.well-known/agent-card.json', host);
      expect(answer.status).toBe(200);
      const card = JSON.parse(answer.body) as { url: string; supportedInterfaces: { url: string }[] };
      expect(card.url).toBe(`${env.gateway.url}/a2a`);
      for (const entry of card.supportedInterfaces) expect(entry.url).toBe(`${env.gateway.url}/a2a`);
      expect(answer.body).not.toContain('localhost');
      expect(answer.body).not.toContain('[::1]');
    }
  });
});

describe('a gateway with public names', () => {
  let env: TestGateway;
  let target: { host: string; port: number };
  beforeAll(async () => {
    env = await startTestGateway({
      config: {
        gateway: { public_hosts: ['oxydra.example.com', 'Agents.Example.org.'] },
        a2a: { public_url: 'https://a2a.example.net/oxydra/' },
      },
    });
    target = { host: '127.0.0.1', port: env.gateway.port };
  });
  afterAll(() => env.cleanup());

  it('answers public_hosts and the host of [a2a] public_url on any port, and nothing else', async () => {
    for (const host of [
      'oxydra.example.com',
      'oxydra.example.com:443',
      'OXYDRA.example.com:8080',
      'agents.example.org',
      'a2a.example.net',
      `localhost:${target.port}`,
    ]) {
      const answer = await raw(target, '/v1/models', host, { headers: auth });
      expect(answer.status, host).toBe(200);
    }
    for (const host of ['example.com', 'evil.oxydra.example.com', 'oxydra.example.com.evil.example']) {
      expectMisdirected(await raw(target, '/v1/models', host, { headers: auth }), host);
    }
  });

  it('names [a2a] public_url in the card whatever Host asked', async () => {
    const answer = await raw(target, '/.well-known/agent-card.json', 'oxydra.example.com');
    const card = JSON.parse(answer.body) as { url: string };
    expect(card.url).toBe('https://a2a.example.net/oxydra/a2a');
    expect(answer.body).not.toContain('oxydra.example.com');
  });

  it('takes only host names in public_hosts, saying so', () => {
    for (const bad of [
      'https://oxydra.example.com',
      'oxydra.example.com:443',
      'oxydra.example.com/x',
      'a b',
    ]) {
      const result = agentConfigSchema.safeParse({ gateway: { public_hosts: [bad] } });
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.message, bad).toMatch(/expected a host name such as/);
    }
  });
});

describe('a gateway bound to every interface (0.0.0.0)', () => {
  let env: TestGateway;
  let port: number;
  beforeAll(async () => {
    env = await startTestGateway({ host: '0.0.0.0' });
    port = env.gateway.port;
  });
  afterAll(() => env.cleanup());

  const ownIpv4 = Object.values(networkInterfaces())
    .flat()
    .map((entry) => entry?.address)
    .filter((address): address is string => address !== undefined && isIP(address) === 4);

  it("answers the machine's own addresses and loopback with its port", async () => {
    for (const address of ownIpv4) {
      const answer = await raw({ host: address, port }, '/v1/models', `${address}:${port}`, {
        headers: auth,
      });
      expect(answer.status, address).toBe(200);
    }
    expect((await raw({ host: '127.0.0.1', port }, '/healthz', `localhost:${port}`)).status).toBe(200);
  });

  it('refuses any name, and addresses that are not this machine', async () => {
    const target = { host: '127.0.0.1', port };
    for (const host of [`evil.example:${port}`, `203.0.113.7:${port}`, `${ownIpv4[0]}:${port + 1}`]) {
      expectMisdirected(await raw(target, '/healthz', host), host);
    }
  });
});
