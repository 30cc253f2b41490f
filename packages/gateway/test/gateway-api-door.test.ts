/**
 * The REST API is built on its first request (api/door.ts): a gateway serving chat turns never
 * loads its route declarations, and the API behind the door answers as if it were registered on
 * the server itself: the server's token check and roles, its error shapes, its 404 for unknown
 * API paths, its request-size limit. The load check runs the compiled packages in a fresh Node
 * process (fixtures/api-probe.mjs); the rest is a real gateway over a real kernel.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';

const probe = fileURLToPath(new URL('./fixtures/api-probe.mjs', import.meta.url));

describe('the REST API is loaded on first use', () => {
  it('a chat turn loads none of its routes; the first /api/v1 request loads them and is answered', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [probe], { timeout: 25_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      turn: number;
      api: number;
      beforeApi: string[];
      afterApi: string[];
      schemaCompilers: string[];
    };
    expect(result.turn).toBe(200);
    expect(result.api).toBe(200);
    expect(result.beforeApi.filter((path) => path === 'index.js' || path.startsWith('routes/'))).toEqual([]);
    expect(result.beforeApi).not.toContain('schemas.js');
    expect(result.afterApi).toEqual(expect.arrayContaining(['index.js', 'routes/sessions.js', 'schemas.js']));
    // Requests are checked with zod: neither Fastify instance builds its JSON Schema compilers
    // (http/fastify-schemas.ts), which load and set up ajv.
    expect(result.schemaCompilers).toEqual([]);
  });
});

describe('the API behind the door', () => {
  const MAX_BODY = 4096;
  let env: TestGateway;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const api = (path: string, init: RequestInit = {}) => fetch(`${env.gateway.url}/api/v1${path}`, init);

  beforeAll(async () => {
    env = await startTestGateway({ limits: { maxFrameBytes: MAX_BODY } });
  });
  afterAll(async () => {
    await env.cleanup();
  });

  it('answers concurrent first requests, made while the API is being built', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api('/sessions', { headers: auth }).then((r) => r.status)),
    );
    expect(answers).toEqual([200, 200, 200, 200, 200]);
  });

  it('refuses a request without a token, known path or not, before anything else', async () => {
    for (const path of ['/sessions', '/no-such-route']) {
      const response = await api(path);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('answers an unknown API path with the gateway 404', async () => {
    const response = await api('/no-such-route?x=1', { headers: auth });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: {
        message: 'no endpoint GET /api/v1/no-such-route',
        type: 'invalid_request_error',
        code: 'not_found',
      },
    });
    const wrongMethod = await api('/sessions', { method: 'PATCH', headers: auth });
    expect(wrongMethod.status).toBe(404);
  });

  it('keeps the request-size limit and the error shapes for bad bodies', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    const big = await api('/memory/notes', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: 'x'.repeat(MAX_BODY * 2) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('frame_too_large');
    const garbled = await api('/memory/notes', { method: 'POST', headers: json, body: '{"text":' });
    expect(garbled.status).toBe(400);
    expect(((await garbled.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });

  it("answers a note over the memory's limits with 400 naming the limit, not a 500", async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    // (This gateway's body limit is 4 KiB; the 32 KiB note limit is refused the same way.)
    for (const [body, says] of [
      [{ text: 'tagged', tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }, /at most 16/],
      [{ text: 'tagged', tags: ['x'.repeat(300)] }, /tag/],
    ] as const) {
      const response = await api('/memory/notes', {
        method: 'POST',
        headers: json,
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(response.status, JSON.stringify(answer)).toBe(400);
      expect(answer.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(says) });
    }
  });

  it("answers URLs the router cannot take (a long id, broken percent-encoding) in the gateway's shape", async () => {
    const long = 'x'.repeat(5000);
    // The API's own instance and the server's.
    for (const path of [
      `/api/v1/sessions/${long}`,
      '/api/v1/sessions/%E0%A4%A',
      `/v1/models/${long}`,
      '/v1/models/%E0%A4%A',
    ]) {
      const response = await fetch(`${env.gateway.url}${path}`, { headers: auth });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(text).not.toContain('FST_');
      expect(text.length).toBeLessThan(400); // the URL is not echoed back
      expect(JSON.parse(text).error.code).toBe('invalid_request');
    }
  });

  it('answers HEAD for a GET route, as the server does', async () => {
    const response = await api('/sessions', { method: 'HEAD', headers: auth });
    expect(response.status).toBe(200);
  });
});
