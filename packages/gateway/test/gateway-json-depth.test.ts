/**
 * A request body nested thousands of levels deep, in a field no schema checks: JSON.parse takes
 * it, but the Idempotency-Key fingerprint (JSON.stringify) ran out of stack and the gateway
 * answered 500. Every JSON body is now refused past a depth bound as it is parsed: 400
 * `invalid_json` with one line naming the problem, and a body within the bound still runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/json-depth.js';
import { jsonOf, ScriptedModel, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;
const runner = new ScriptedModel();
beforeAll(async () => {
  env = await startTestGateway({ model: runner });
});
afterAll(() => env.cleanup());

/** A request of `path` whose `metadata` field nests `depth` arrays, sent as raw JSON text. */
function postNested(path: string, depth: number, key: string): Promise<Response> {
  const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const turn =
    path === '/v1/responses' ? '"input":"hello"' : '"messages":[{"role":"user","content":"hello"}]';
  return fetch(`${env.gateway.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: `{"model":"default",${turn},"metadata":${nested}}`,
  });
}

describe('a deeply nested request body', () => {
  for (const path of ['/v1/chat/completions', '/v1/responses']) {
    it(`${path} with an Idempotency-Key answers 400 naming the nesting, never 500`, async () => {
      const before = runner.calls.length;
      const response = await postNested(path, 5000, `deep-${path}`);
      expect(response.status).toBe(400);
      const body = await jsonOf(response);
      expect(body.error.code).toBe('invalid_json');
      expect(body.error.message).toBe(
        `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; send a flatter body`,
      );
      expect(runner.calls.length).toBe(before);
    });
  }

  it('a body within the bound still runs', async () => {
    const response = await postNested('/v1/chat/completions', MAX_JSON_DEPTH - 10, 'shallow');
    expect(response.status).toBe(200);
    expect((await jsonOf(response)).choices[0].message.content).toBe('echo: hello');
  });
});
