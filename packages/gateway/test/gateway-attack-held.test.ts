/**
 * The attacks on the gateway's network surface that held when it was reviewed (docs/security.md,
 * rows G8-G12), kept as tests so they keep holding: request smuggling shapes over raw TCP, route
 * variants that would skip the token, another user's things by id, a user token on admin and
 * operator routes, prototype keys and deeply nested JSON.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { jsonOf, sendTurn, startTestGateway, type TestGateway, userTokens } from './helpers.js';

let env: TestGateway;
let alice: string;
let bobSession: string;

beforeAll(async () => {
  env = await startTestGateway();
  const [mine, bob] = (await userTokens(env, 'alice', 'bob')) as [string, string];
  alice = mine;
  const { client, inbox, ack } = await helloClient(env.wsUrl, { create_new_session: true }, bob);
  bobSession = ack.session.session_id;
  sendTurn(client, bobSession, 'bob only');
  await inbox.take('turn_completed');
  client.close();
});
afterAll(() => env.cleanup());

const as = (token: string | undefined, method: string, path: string, body?: string) =>
  fetch(`${env.gateway.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });

/** Writes raw bytes and resolves with everything the server sent until it closed or went quiet. */
function raw(request: string): Promise<string> {
  const { port, hostname } = new URL(env.gateway.url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
    // One answer is enough: a second would be a smuggled request's.
    if (/\r\n\r\n/.test(received)) setTimeout(() => socket.destroy(), 200);
  });
  socket.on('error', () => {});
  socket.write(request);
  return new Promise((resolve) => socket.on('close', () => resolve(received)));
}

describe('held: request smuggling shapes', () => {
  const host = () => new URL(env.gateway.url).host;
  const shapes: Record<string, string> = {
    'two Content-Length': 'Content-Length: 5\r\nContent-Length: 50\r\n\r\n{"a":1}',
    'Content-Length and chunked': 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'Transfer-Encoding: xchunked': 'Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
    'Transfer-Encoding: chunked, identity': 'Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  };
  for (const [name, tail] of Object.entries(shapes)) {
    it(`refuses ${name} before any route, with nothing smuggled behind it`, async () => {
      const smuggled = `GET /api/v1/audit HTTP/1.1\r\nHost: ${host()}\r\n\r\n`;
      const answer = await raw(
        `POST /api/v1/runs HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${alice}\r\n${tail}${smuggled}`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    });
  }
});

describe('held: route variants never skip the token', () => {
  for (const [method, path] of [
    ['GET', '/API/v1/sessions'],
    ['GET', '/api/v1/sessions/'],
    ['GET', '//api/v1/sessions'],
    ['GET', '/v1/TOKENS'],
    ['GET', '/metrics/'],
    ['HEAD', '/api/v1/sessions'],
    ['OPTIONS', '/api/v1/sessions'],
  ] as const) {
    it(`${method} ${path} without a token is 401`, async () => {
      expect((await as(undefined, method, path)).status).toBe(401);
    });
  }
});

describe("held: another user's things by id", () => {
  it('answers as for a missing id', async () => {
    for (const path of [`/api/v1/sessions/${bobSession}`, `/api/v1/sessions/${bobSession}/export`]) {
      const theirs = await as(alice, 'GET', path);
      expect(theirs.status).toBe(404);
      expect((await jsonOf(theirs)).error.message).toBe(`session ${bobSession} not found`);
    }
    expect((await as(alice, 'DELETE', `/api/v1/sessions/${bobSession}`)).status).toBe(404);
    expect((await jsonOf(await as(alice, 'GET', '/api/v1/sessions'))).sessions).toEqual([]);
    const costs = await jsonOf(await as(alice, 'GET', '/api/v1/costs?by=user&user_id=bob'));
    expect(costs).toMatchObject({ user_id: 'alice', rows: [] });
    expect((await jsonOf(await as(alice, 'GET', '/api/v1/memory/search?q=bob'))).results).toEqual([]);
  });
});

describe('held: a user token on operator and admin routes', () => {
  for (const [method, path] of [
    ['POST', '/v1/tokens'],
    ['GET', '/metrics'],
    ['GET', '/api/v1/config'],
    ['GET', '/api/v1/checkpoints'],
    ['GET', '/api/v1/audit'],
    ['PUT', '/v1/budgets'],
  ] as const) {
    it(`${method} ${path} is 403`, async () => {
      const body = method === 'GET' ? undefined : JSON.stringify({ user: 'alice', role: 'admin' });
      const refused = await as(alice, method, path, body);
      expect(refused.status).toBe(403);
      expect((await jsonOf(refused)).error.message).toContain("this token's role is user");
    });
  }
});

describe('held: hostile JSON', () => {
  it('refuses prototype keys and deep nesting without harm', async () => {
    const poisoned = await as(alice, 'POST', '/api/v1/runs', '{"__proto__":{"role":"admin"},"prompt":"x"}');
    expect(poisoned.status).toBe(400);
    expect((await jsonOf(poisoned)).error.code).toBe('invalid_json');
    const deepArrays = '['.repeat(200_000) + ']'.repeat(200_000);
    expect((await as(alice, 'POST', '/v1/chat/completions', deepArrays)).status).toBe(400);
    const deepObjects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect((await as(alice, 'POST', '/api/v1/runs', deepObjects)).status).toBe(400);
    expect((await as(undefined, 'GET', '/healthz?__proto__[x]=1&constructor=1')).status).toBe(200);
    expect((await as(alice, 'GET', '/api/v1/me')).status).toBe(200);
  });
});
