/**
 * Session ids are one namespace, and `runtime-<user>` is that user's default session (what a
 * hello without a session id attaches). Another user cannot take it: naming `runtime-bob` in a
 * run (REST) or MCP run_agent before bob ever connected is refused, and bob's hello then gets his
 * own default session. Before, alice's run created `runtime-bob` as hers, and every hello of bob's
 * afterwards failed with session_not_found.
 *
 * A session named "." or "..": every HTTP client (and the dashboard's fetch) resolves such a path
 * segment before it is sent, so `/api/v1/sessions/..` arrives as `/api/v1/` and
 * `/api/v1/sessions/./export` as `/api/v1/sessions/export` (another session's export). Before, a
 * user's run created either name, a session then no URL could read, export or delete; now the
 * kernel refuses both names (G56).
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

describe('a session named by a dot segment', () => {
  it('"." and ".." are refused as session names, and never stored', async () => {
    for (const name of ['.', '..']) {
      const response = await run(users.alice, { prompt: `dots ${name}`, session_id: name });
      expect(response.status).toBe(400);
      const body = await jsonOf(response);
      expect(body.error.message).toContain(`"${name}" cannot be a session name`);
      expect(body.error.code).toBe('invalid_request');
      expect(await (await users.env.kernel.service('sessionAccess')).get(name, {})).toBeUndefined();
    }
    const prompts = users.env.model.calls.map((call) => call.prompt);
    expect(prompts).not.toContain('dots .');
    expect(prompts).not.toContain('dots ..');
    await expect(users.env.kernel.resolveSession('..', { userId: 'alice' })).rejects.toThrow(
      'cannot be a session name',
    );
  });

  it('the path the dashboard would ask for such a session reaches another route', async () => {
    // Why: a URL cannot name the session, whatever the client encodes.
    const url = new URL(`${users.env.gateway.url}/api/v1/sessions/${encodeURIComponent('.')}/export`);
    expect(url.pathname).toBe('/api/v1/sessions/export');
  });

  it('names with dots among other characters still work', async () => {
    const answer = await jsonOf(await run(users.alice, { prompt: 'dotted', session_id: '...x.y' }));
    expect(answer).toMatchObject({ status: 'completed', session_id: '...x.y' });
  });
});
