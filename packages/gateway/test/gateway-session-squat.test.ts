/**
 * Session ids are one namespace, and `runtime-<user>` is that user's default session (what a
 * hello without a session id attaches). Another user cannot take it: naming `runtime-bob` in a
 * run (REST) or MCP run_agent before bob ever connected is refused, and bob's hello then gets his
 * own default session. Before, alice's run created `runtime-bob` as hers, and every hello of bob's
 * afterwards failed with session_not_found.
 */
import { describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { gatewayForAliceAndBob, jsonOf } from './helpers.js';

const users = gatewayForAliceAndBob();

const run = (token: string, body: Record<string, unknown>) =>
  fetch(`${users.env.gateway.url}/api/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe("another user's default session", () => {
  it('cannot be created by a user naming it, and stays its user’s to open', async () => {
    const squat = await jsonOf(await run(users.alice, { prompt: 'mine now', session_id: 'runtime-bob' }));
    expect(squat).toMatchObject({ status: 'failed', session_id: null });
    expect(squat.error).toContain('belongs to another user');
    expect(await (await users.env.kernel.service('sessionAccess')).get('runtime-bob', {})).toBeUndefined();
    expect(users.env.model.calls.map((call) => call.prompt)).not.toContain('mine now');

    const { client, ack } = await helloClient(users.env.wsUrl, {}, users.bob);
    expect(ack.session.session_id).toBe('runtime-bob');
    client.close();
    expect((await (await users.env.kernel.service('sessionAccess')).get('runtime-bob', {}))?.userId).toBe(
      'bob',
    );
  });

  it('still lets a user continue their own default session by name', async () => {
    const own = await jsonOf(await run(users.alice, { prompt: 'hello me', session_id: 'runtime-alice' }));
    expect(own).toMatchObject({ status: 'completed', session_id: 'runtime-alice' });
  });
});
