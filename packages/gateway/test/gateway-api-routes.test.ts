/**
 * The REST API under /api/v1 against a real gateway: the OpenAPI 3.1 document validates, and
 * every route it lists is called, each answer checked against the document's own response
 * schema (ajv, draft 2020-12) and for snake_case keys (gateway-api-helpers.ts); live updates
 * (agents, the approvals queue) arrive as SSE. Who may see what: gateway-api-access.test.ts.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelDbPath, openChannelStore } from '@oxydra/channels';
import { pollUntil } from '@oxydra/testkit/helpers';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import {
  auth,
  call,
  called,
  document,
  env,
  type Json,
  nonSnakeKeys,
  openEvents,
  useApiGateway,
} from './gateway-api-helpers.js';
import { helloClient } from './hello-client.js';
import { sendTurn, TOKEN } from './helpers.js';

useApiGateway();

/** What a channel process leaves in the workspace's channel database: a heartbeat, a message, a refused send. */
async function recordChannelActivity(workspace: string): Promise<void> {
  const store = openChannelStore(channelDbPath(workspace));
  const now = new Date().toISOString();
  await store.recordHealth('telegram', {
    botName: '@api_bot',
    pid: 321,
    host: 'box',
    startedAt: now,
    heartbeatAt: now,
    lastError: 'refused',
    lastErrorAt: now,
  });
  await store.accept('telegram', '9', [
    { conversation: '55', messageId: '1', chatId: '55', senderId: '3', userId: 'alice', text: 'hi' },
  ]);
  await store.enqueue('telegram', [
    { key: 'k1', chatId: '55', threadId: '7', text: 'x'.repeat(300) },
    { key: 'k2', chatId: '55', text: 'waiting' },
  ]);
  await store.markFailed('telegram', 'k1', 'refused');
  await store.close();
}

describe('REST API /api/v1', () => {
  it('serves an OpenAPI 3.1 document that validates', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((document as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('refuses a request without a token in the documented error shape', async () => {
    const response = await fetch(`${env.gateway.url}/api/v1/sessions`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: 'unauthorized', type: 'authentication_error' },
    });
  });

  it('exercises every route of the document', async () => {
    await call('get', '/openapi.json');
    expect((await call('get', '/me')).body).toEqual({ user: null, role: 'admin', token_id: 'owner' });
    expect((await call('get', '/health')).body).toMatchObject({
      status: 'ok',
      scheduler: { enabled: true, started: true },
    });
    const storedBefore = (await call('get', '/health')).body.resources.stored_sessions as number;
    const config = (await call('get', '/config')).body;
    expect(JSON.stringify(config)).not.toContain('sk-gateway-test');
    // Started without a trust report (no CLI loaded its configuration): nothing to show or decide.
    // gateway-trust.test.ts covers the routes with one.
    expect(config.trust).toBeNull();
    await call('post', '/trust', {}, { body: { keys_hash: '0'.repeat(64) }, expect: 409 });
    // A login code for the dashboard: traded once for the token that asked, then void.
    const { code, path } = (await call('post', '/login-codes', {}, { expect: 201 })).body;
    expect(path).toBe(`/#code=${code}`);
    const redeem = () =>
      fetch(`${env.gateway.url}/login/redeem`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    const traded = await redeem();
    expect(traded.status).toBe(200);
    expect(((await traded.json()) as { token: string }).token).toBe(TOKEN);
    expect((await redeem()).status).toBe(401);
    await call('delete', '/trust', {}, { expect: 409 });

    // A stored session, made the way a client makes one.
    const { client, inbox, ack } = await helloClient(env.wsUrl, { user_id: 'alice' }, TOKEN);
    sendTurn(client, ack.session.session_id, 'hello api');
    await inbox.take('turn_completed');
    client.close();
    const sessionId = ack.session.session_id;
    const sessions = (await call('get', '/sessions', {}, { query: 'q=' + sessionId.slice(0, 6) })).body
      .sessions;
    expect(sessions.map((s: { session_id: string }) => s.session_id)).toContain(sessionId);
    // Health counts it as the Sessions page lists it, with no agent running in it now.
    expect((await call('get', '/health')).body.resources).toMatchObject({
      sessions: 0,
      stored_sessions: storedBefore + 1,
    });
    const one = (await call('get', '/sessions/{id}', { id: sessionId })).body;
    expect(JSON.stringify(one.messages)).toContain('echo: hello api');
    expect(one.spec).toBeNull();
    expect(
      (await call('get', '/sessions/{id}/export', { id: sessionId }, { query: 'format=markdown' })).text,
    ).toContain('hello api');

    // A running agent: listed, announced over SSE, killed.
    const events = await fetch(`${env.gateway.url}/api/v1/events`, { headers: auth() });
    called.add('get /events');
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const reader = events.body!.getReader();
    const held = env.kernel.agents.spawn({ prompt: 'hold on', userId: 'alice' });
    let streamed = '';
    await pollUntil(async () => {
      const { value } = await reader.read();
      streamed += new TextDecoder().decode(value);
      return streamed.includes(held.id);
    }, 'the agent on the event stream');
    expect(streamed).toContain('event: agent');
    const agents = (await call('get', '/agents')).body.agents;
    expect(agents.find((a: { id: string }) => a.id === held.id)).toMatchObject({
      status: 'running',
      user_id: 'alice',
    });
    await call('post', '/agents/{id}/kill', { id: held.id });
    expect((await held.result).status).toBe('cancelled');
    await reader.cancel();
    expect((await call('get', '/agents/configured')).body.agents).toEqual([
      { name: 'default', description: null, provider: 'openai', model: 'gpt-4o-mini' },
      { name: 'writer', description: null, provider: 'openai', model: 'gpt-4o-mini' },
    ]);

    // A run over the API, plain and spec-first (the echo model answers no verdict: the judged
    // criterion fails, and the answer still validates against the document).
    const plain = (await call('post', '/runs', {}, { body: { prompt: 'run over the api' } })).body;
    expect(plain).toMatchObject({ status: 'completed', text: 'echo: run over the api', spec: null });
    const judged = (
      await call(
        'post',
        '/runs',
        {},
        {
          body: { prompt: 'greet', spec: { acceptance_criteria: ['The greeting is kind'], max_attempts: 1 } },
        },
      )
    ).body;
    expect(judged.spec).toMatchObject({ passed: false, attempts: 1, results: [{ id: 'c1', kind: 'judge' }] });
    // Its stored record, every attempt, in snake_case as the rest of the API (call checks the keys).
    const stored = (await call('get', '/sessions/{id}', { id: judged.session_id })).body.spec;
    expect(stored).toMatchObject({
      state: 'failed',
      max_attempts: 1,
      directive: { criteria: [{ id: 'c1' }] },
    });
    expect(stored.attempts).toMatchObject([{ attempt: 1, passed: false, agent_id: judged.agent_id }]);

    // Schedules.
    const made = (
      await call(
        'post',
        '/schedules',
        {},
        { body: { prompt: 'say hi', every: '1h', name: 'hourly', user_id: 'alice' }, expect: 201 },
      )
    ).body.schedule;
    expect(made).toMatchObject({ name: 'hourly', user_id: 'alice', timing: 'every 1h' });
    expect((await call('get', '/schedules')).body.schedules).toHaveLength(1);
    expect((await call('post', '/schedules/{id}/pause', { id: made.id })).body.schedule.enabled).toBe(false);
    expect((await call('post', '/schedules/{id}/resume', { id: made.id })).body.schedule.enabled).toBe(true);
    expect(
      (await call('post', '/schedules/{id}/run', { id: made.id }, { expect: 202 })).body.run.trigger,
    ).toBe('manual');
    await (await env.kernel.service('scheduler')).idle();
    const [run] = (await call('get', '/schedules/{id}/runs', { id: made.id })).body.runs;
    expect(run).toMatchObject({ status: 'completed', trigger: 'manual' });
    expect(run.output).toContain('say hi');
    await call('delete', '/schedules/{id}', { id: made.id });

    // Memory.
    const note = (
      await call(
        'post',
        '/memory/notes',
        {},
        { body: { text: 'the deploy key rotates on Fridays', tags: ['ops'] }, expect: 201 },
      )
    ).body.note;
    expect((await call('get', '/memory/notes')).body.notes.map((n: { id: string }) => n.id)).toContain(
      note.id,
    );
    expect(
      (await call('get', '/memory/search', {}, { query: 'q=deploy%20key' })).body.results[0].note_id,
    ).toBe(note.id);
    await call('delete', '/memory/notes/{id}', { id: note.id });
    await call('delete', '/memory/notes/{id}', { id: note.id }, { expect: 404 });

    // The audit chain, caps and the approvals queue (followed live on the event stream).
    const live = await openEvents();
    expect((await call('get', '/audit', {}, { query: 'limit=5' })).body.entries.length).toBeGreaterThan(0);
    expect((await call('get', '/audit/verify')).body.ok).toBe(true);
    expect(
      (await call('put', '/budgets', {}, { body: { user: 'alice', key: 'daily_usd', value: 1 } })).body
        .status,
    ).toBe('applied');
    const raised = await call(
      'put',
      '/budgets',
      {},
      { body: { user: 'alice', key: 'daily_usd', value: 5 }, expect: 202 },
    );
    expect(raised.body.status).toBe('pending_approval');
    const asked = await live.next((e) => e.event === 'admin_approval', 'the request on the event stream');
    expect(asked.data).toEqual({ type: 'requested', approval: raised.body.approval });
    expect(nonSnakeKeys(asked.data)).toEqual([]);
    expect((await call('get', '/budgets')).body.budgets.length).toBeGreaterThan(0);
    const waiting = (await call('get', '/approvals')).body.approvals;
    // Two people: the token that asked cannot decide; a second admin does.
    const second = (await (await env.kernel.service('tokens')).add('ops', 'admin', 'second admin', 'test'))
      .token;
    expect(waiting).toHaveLength(1);
    expect(
      (await call('post', '/approvals/{id}/approve', { id: waiting[0].id }, { token: second })).body.approval
        .status,
    ).toBe('approved');
    const granted = await live.next((e) => e.event === 'admin_approval', 'the approval on the event stream');
    expect(granted.data).toMatchObject({
      type: 'approved',
      approval: { id: waiting[0].id, status: 'approved', decided_by: expect.stringMatching(/^token:/) },
    });
    const again = await call(
      'put',
      '/budgets',
      {},
      { body: { user: 'alice', key: 'daily_usd', value: 9 }, expect: 202 },
    );
    expect((await live.next((e) => e.event === 'admin_approval', 'the second request')).data).toEqual({
      type: 'requested',
      approval: again.body.approval,
    });
    expect(
      (
        await call(
          'post',
          '/approvals/{id}/reject',
          { id: again.body.approval.id },
          { body: { reason: 'no' }, token: second },
        )
      ).body.approval.status,
    ).toBe('rejected');
    expect((await live.next((e) => e.event === 'admin_approval', 'the rejection')).data).toMatchObject({
      type: 'rejected',
      approval: { id: again.body.approval.id, reason: 'no' },
    });
    // Asked for over the older /v1 routes: the same queue, the same feed.
    const viaV1 = await fetch(`${env.gateway.url}/v1/budgets`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', key: 'daily_usd', value: 7 }),
    });
    expect(viaV1.status).toBe(202);
    const v1Id = ((await viaV1.json()) as Json).approval.id;
    expect((await live.next((e) => e.event === 'admin_approval', 'the /v1 request')).data).toMatchObject({
      type: 'requested',
      approval: { id: v1Id, op: 'budget_set', requested_by: 'token:owner' },
    });
    await fetch(`${env.gateway.url}/v1/approvals/${v1Id}/reject`, {
      method: 'POST',
      headers: { ...auth(second), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'not now' }),
    });
    expect((await live.next((e) => e.event === 'admin_approval', 'the /v1 rejection')).data).toMatchObject({
      type: 'rejected',
      approval: { id: v1Id, status: 'rejected' },
    });
    await live.close();

    // Checkpoints: nothing to undo yet; then a run that writes a file, its diff, and its undo.
    await call('post', '/checkpoints/undo', {}, { body: {}, expect: 400 });
    await (await env.kernel.service('checkpoints'))!.commit('before run r-apitest (writer)', {
      kind: 'before',
      run: 'r-apitest',
      agent: 'writer',
      session: 's-apitest',
    });
    writeFileSync(join(env.workspace, 'report.txt'), 'written by the run\n');
    await (await env.kernel.service('checkpoints'))!.commit('after run r-apitest (writer)', {
      kind: 'after',
      run: 'r-apitest',
    });
    const history = (await call('get', '/checkpoints')).body;
    const [latest] = history.runs;
    expect(latest).toMatchObject({
      run: 'r-apitest',
      kind: 'run',
      agent: 'writer',
      undoes: null,
      session: 's-apitest',
      before: { meta: { kind: 'before', run: 'r-apitest' } },
      after: { meta: { kind: 'after', run: 'r-apitest' }, changed: 1 },
    });
    expect(latest.before.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(latest.after.parent).toBe(latest.before.id);
    expect(history.checkpoints[0].id).toBe(latest.after.id);
    const changes = (
      await call(
        'get',
        '/checkpoints/{ref}/diff',
        { ref: latest.before.id },
        { query: `to=${latest.after.id}` },
      )
    ).body.changes;
    expect(changes).toEqual([{ path: 'report.txt', status: 'added' }]);
    const undone = (await call('post', '/checkpoints/undo', {}, { body: { run: 'r-apitest' } })).body;
    expect(undone).toMatchObject({ run: 'r-apitest', report: { removed: ['report.txt'] } });
    expect(undone.undo_run).toMatch(/^u-/);
    expect(typeof undone.restored_to).toBe('string');
    expect((await call('get', '/checkpoints')).body.runs[0]).toMatchObject({
      run: undone.undo_run,
      kind: 'undo',
      undoes: 'r-apitest',
      session: null,
    });

    // Costs: the turns above, by model and by user.
    const byModel = (await call('get', '/costs', {}, { query: 'by=model' })).body;
    expect(byModel.totals.calls).toBeGreaterThan(0);
    expect(byModel.rows[0].key).toContain('gpt-4o-mini');

    await call('delete', '/sessions/{id}', { id: sessionId });
    await call('get', '/sessions/{id}', { id: sessionId }, { expect: 404 });

    // Chat channels: none ran in this workspace (no channels.db, none made), then one did.
    // Every platform is listed, configured or not; Telegram first.
    const none = (await call('get', '/channels')).body.channels;
    expect(none.map((c: { channel: string }) => c.channel)).toEqual([
      'telegram',
      'slack',
      'discord',
      'email',
    ]);
    expect(none).toEqual(
      none.map((c: { channel: string }) =>
        expect.objectContaining({ channel: c.channel, enabled: false, health: null, inbound: {} }),
      ),
    );
    expect(existsSync(channelDbPath(env.workspace))).toBe(false);
    await recordChannelActivity(env.workspace);
    const [telegram] = (await call('get', '/channels')).body.channels;
    expect(telegram).toMatchObject({
      health: { running: true, bot_name: '@api_bot', pid: 321, stopped_at: null, last_error: 'refused' },
      inbound: { pending: 1 },
      outbox: {
        unsent: 1,
        failed: 1,
        recent_failures: [
          { key: 'k1', chat_id: '55', thread_id: '7', text: `${'x'.repeat(200)}…`, error: 'refused' },
        ],
      },
    });

    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path.slice('/api/v1'.length)}`),
    );
    expect([...called].sort()).toEqual(expect.arrayContaining(documented.sort()));
  });
});
