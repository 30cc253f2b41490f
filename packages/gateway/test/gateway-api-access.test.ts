/**
 * The REST API under /api/v1 against a real gateway, who sees what: session search takes % and _
 * literally and a user token finds only its own; the approvals queue (listed and streamed as SSE)
 * goes to admin tokens only; a user token keeps to its own user's data and out of admin routes
 * (another user's session, read, exported or counted, is answered like a missing one).
 * The document and every route: gateway-api-routes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { call, env, openEvents, useApiGateway } from './gateway-api-helpers.js';
import { helloClient } from './hello-client.js';
import { ownerSessions, sendTurn, TOKEN } from './helpers.js';

useApiGateway();

describe('REST API /api/v1', () => {
  it('searches sessions by name or id in the store: % and _ match only themselves, a user token only its own', async () => {
    const store = await ownerSessions(env.kernel);
    const made = (id: string, userId: string, title: string) =>
      store.create({ id, userId, title, channelOrigin: 'gateway' });
    await made('srch-pct', 'dora', '100% coverage');
    await made('srch-digits', 'dora', '1000 coverage');
    await made('srch-under', 'dora', 'snake_case notes');
    await made('srch-plain', 'dora', 'snakeXcase notes');
    await made('srch-other', 'erin', '50% of erin');
    const ids = async (query: string, token?: string) =>
      (await call('get', '/sessions', {}, { query, ...(token ? { token } : {}) })).body.sessions
        .map((s: { session_id: string }) => s.session_id)
        .sort();
    // Unescaped, "%" would match every session and "_" any one character.
    expect(await ids('q=100%25&user_id=dora')).toEqual(['srch-pct']);
    expect(await ids('q=%25&user_id=dora')).toEqual(['srch-pct']);
    expect(await ids('q=%25')).toEqual(['srch-other', 'srch-pct']);
    expect(await ids('q=snake_case&user_id=dora')).toEqual(['srch-under']);
    expect(await ids('q=_&user_id=dora')).toEqual(['srch-under']);
    // Titles and ids, either case; the limit and offset page the matches.
    expect(await ids('q=COVERAGE&user_id=dora')).toEqual(['srch-digits', 'srch-pct']);
    expect(await ids('q=srch-plain')).toEqual(['srch-plain']);
    const page = await ids('q=coverage&user_id=dora&limit=1&offset=1');
    expect(page).toHaveLength(1);
    expect(page).not.toEqual(await ids('q=coverage&user_id=dora&limit=1'));
    // A user token finds only its own user's sessions, whatever the text matches.
    const { token } = await (await env.kernel.service('tokens')).add('dora', 'user', 'test', 'test');
    expect(await ids('q=%25', token)).toEqual(['srch-pct']);
    expect(await ids('q=erin', token)).toEqual([]);
    await call('get', '/sessions', {}, { token, query: 'q=erin&user_id=erin', expect: 403 });
  });

  it('sends the approvals queue to admin tokens only', async () => {
    const operator = (await (await env.kernel.service('tokens')).add('olga', 'operator', 'test', 'test'))
      .token;
    const user = (await (await env.kernel.service('tokens')).add('ursula', 'user', 'test', 'test')).token;
    const admin = await openEvents();
    const others = [await openEvents(operator), await openEvents(user)];
    const raised = await call(
      'put',
      '/budgets',
      {},
      { body: { user: 'ursula', key: 'daily_usd', value: 1 } },
    ).then(() =>
      call('put', '/budgets', {}, { body: { user: 'ursula', key: 'daily_usd', value: 2 }, expect: 202 }),
    );
    await admin.next(
      (e) => e.event === 'admin_approval' && e.data.approval.id === raised.body.approval.id,
      'the request on the admin stream',
    );
    // Something every stream hears after it (ursula's agent): the request came before, if at all.
    const held = env.kernel.agents.spawn({ prompt: 'hold on', userId: 'ursula' });
    for (const stream of others) {
      await stream.next((e) => e.event === 'agent' && e.data.agent?.id === held.id, 'the agent');
      expect(stream.events.filter((e) => e.event === 'admin_approval')).toEqual([]);
    }
    await held.cancel();
    for (const stream of [admin, ...others]) await stream.close();
    await call(
      'post',
      '/approvals/{id}/reject',
      { id: raised.body.approval.id },
      {
        body: {},
        token: (await (await env.kernel.service('tokens')).add('ops2', 'admin', 'second admin', 'test'))
          .token,
      },
    );
  });

  it("keeps a user token to its own user's data and out of admin routes", async () => {
    const { token } = await (await env.kernel.service('tokens')).add('bob', 'user', 'test', 'test');
    const { client, inbox, ack } = await helloClient(env.wsUrl, { user_id: 'carol' }, TOKEN);
    sendTurn(client, ack.session.session_id, 'carol private');
    await inbox.take('turn_completed');
    client.close();
    const carol = ack.session.session_id;
    expect((await call('get', '/me', {}, { token })).body).toMatchObject({ user: 'bob', role: 'user' });
    expect((await call('get', '/sessions', {}, { token })).body.sessions).toEqual([]);
    await call('get', '/sessions/{id}', { id: carol }, { token, expect: 404 });
    await call('delete', '/sessions/{id}', { id: carol }, { token, expect: 404 });
    const refused = await call('get', '/audit', {}, { token, expect: 403 });
    expect(refused.body.error.code).toBe('forbidden');
    await call('get', '/config', {}, { token, expect: 403 });
    await call('get', '/channels', {}, { token, expect: 403 });
    const operator = (await (await env.kernel.service('tokens')).add('ops3', 'operator', 'test', 'test'))
      .token;
    await call('get', '/channels', {}, { token: operator, expect: 403 });
    await call('get', '/sessions', {}, { token, query: 'user_id=carol', expect: 403 });
    // Costs are its own user's only, whatever it names.
    const costs = (await call('get', '/costs', {}, { token, query: 'by=user&user_id=carol' })).body;
    expect(costs.rows.map((row: { key: string }) => row.key)).toEqual([]);
  });

  it("answers a user token another user's session like a missing one on every read, and counts only its own", async () => {
    const store = await ownerSessions(env.kernel);
    const spec = (goal: string) => ({
      version: 1 as const,
      directive: { goal, constraints: [], criteria: [] },
      attempts: [],
      maxAttempts: 1,
      state: 'running' as const,
    });
    for (const user of ['fay', 'gus'] as const) {
      const id = `owned-${user}`;
      await store.create({ id, userId: user, title: `${user} notes`, channelOrigin: 'gateway' });
      await store.appendTurn(id, [{ role: 'user', content: `${user} private words` }]);
      // A spec run's record, as runSpec keeps it (session state "spec").
      await store.setState(id, 'spec', JSON.stringify(spec(`${user} plan`)), null);
    }
    const fay = (await (await env.kernel.service('tokens')).add('fay', 'user', 'test', 'test')).token;
    // Gus's session and one that does not exist: the same 404, whatever the read.
    const reads: [string, string, string?][] = [
      ['get', '/sessions/{id}'],
      ['get', '/sessions/{id}/export', 'format=markdown'],
      ['get', '/sessions/{id}/export', 'format=jsonl'],
    ];
    for (const [method, path, query] of reads) {
      const foreign = await call(method, path, { id: 'owned-gus' }, { token: fay, query, expect: 404 });
      const missing = await call(method, path, { id: 'owned-nobody' }, { token: fay, query, expect: 404 });
      expect(foreign.text.replace('owned-gus', 'ID')).toBe(missing.text.replace('owned-nobody', 'ID'));
      expect(foreign.text).not.toContain('gus private words');
    }
    // Her own: the transcript, its spec run (in the API's snake_case), both exports.
    const own = (await call('get', '/sessions/{id}', { id: 'owned-fay' }, { token: fay })).body as {
      messages: unknown[];
      spec: unknown;
    };
    expect(JSON.stringify(own.messages)).toContain('fay private words');
    expect(own.spec).toMatchObject({ directive: { goal: 'fay plan' }, max_attempts: 1 });
    for (const format of ['markdown', 'jsonl']) {
      const text = (
        await call(
          'get',
          '/sessions/{id}/export',
          { id: 'owned-fay' },
          { token: fay, query: `format=${format}` },
        )
      ).text;
      expect(text).toContain('fay private words');
    }
    // Health counts her stored sessions, not every user's; an admin token counts all.
    const health = (token?: string) =>
      call('get', '/health', {}, token ? { token } : {}).then((r) => r.body.resources.stored_sessions);
    expect(await health(fay)).toBe(1);
    expect(await health()).toBe(await store.count());
  });
});
