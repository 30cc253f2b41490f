/**
 * A2A clients may send their own media type (`application/a2a+json`): its body is parsed as
 * strictly as any JSON body of the gateway. Before, a plain JSON.parse took `__proto__` and
 * `constructor.prototype` keys in (where every other route answers 400 `invalid_json`) and
 * handed them to the A2A SDK.
 */
import { describe, expect, it } from 'vitest';
import { gatewayForAliceAndBob, jsonOf } from './helpers.js';

const users = gatewayForAliceAndBob();

const a2a = (body: string, contentType: string) =>
  fetch(`${users.env.gateway.url}/a2a`, {
    method: 'POST',
    headers: { authorization: `Bearer ${users.alice}`, 'content-type': contentType },
    body,
  });

const getTask = (extra: string) =>
  `{${extra}"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"no-such-task"}}`;

describe('the A2A media type', () => {
  for (const contentType of ['application/a2a+json', 'application/json']) {
    it(`refuses prototype keys in ${contentType} like any JSON body`, async () => {
      for (const poison of ['"__proto__":{"x":1},', '"constructor":{"prototype":{"x":1}},']) {
        const response = await a2a(getTask(poison), contentType);
        expect(response.status, poison).toBe(400);
        expect((await jsonOf(response)).error.code).toBe('invalid_json');
      }
    });
  }

  it('still answers a clean a2a+json request, and bad JSON is 400 invalid_json', async () => {
    const clean = await jsonOf(await a2a(getTask(''), 'application/a2a+json'));
    expect(clean).toMatchObject({ jsonrpc: '2.0', id: 1, error: expect.anything() });
    const broken = await a2a('{"jsonrpc":', 'application/a2a+json');
    expect(broken.status).toBe(400);
    expect((await jsonOf(broken)).error.code).toBe('invalid_json');
  });
});
