/**
 * The REST API under /api/v1 against a real gateway: the OpenAPI 3.1 document validates, and
 * every route it lists is called, each answer checked against the document's own response
 * schema (ajv, draft 2020-12) and for snake_case keys; roles and users are kept apart; session
 * search takes % and _ literally; live updates (agents, the approvals queue) arrive as SSE.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelDbPath, openChannelStore } from '@oxydra/channels';
import { pollUntil } from '@oxydra/testkit/helpers';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Gate,
  heldScript,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  TestClient,
  type TestGateway,
  TOKEN,
} from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the answers are checked against the document's schemas, then read loosely
type Json = any;

let env: TestGateway;
let document: { paths: Record<string, Record<string, unknown>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
const called = new Set<string>();
let gate = new Gate();

/** A gateway of its own, on an empty workspace, with the document's schemas loaded into ajv. */
async function startApiGateway(): Promise<void> {
  const model = new ScriptedModel(async function* (call) {
    if (call.prompt.includes('hold')) {
      yield* heldScript(gate)(call);
      return;
    }
    yield { type: 'text_delta', text: `echo: ${call.prompt}` };
    yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 3 } };
    yield { type: 'finish', reason: 'stop' };
  });
  // The memory database inside .oxydra/, which checkpoints never capture (the undo below must
  // not put back the database under the running gateway).
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-gateway-api-'));
  mkdirSync(join(dir, '.oxydra'));
  env = await startTestGateway(
    {
      model,
      config: { scheduler: { enabled: true }, memory: { db_path: join(dir, '.oxydra', 'memory.db') } },
    },
    { dir },
  );
  const response = await fetch(`${env.gateway.url}/api/v1/openapi.json`, { headers: auth() });
  document = (await response.json()) as typeof document;
  ajv.removeSchema('openapi.json');
  ajv.addSchema(document, 'openapi.json');
}

beforeAll(startApiGateway);

// CI allows one retry (vitest.config.ts). The tests count what they made (stored sessions,
// schedules, approvals), so a retry on the state its failed attempt left could only fail again,
// differently: it starts on a gateway of its own instead.
beforeEach(async ({ task }) => {
  if (!task.result?.retryCount) return;
  gate.release();
  await env?.cleanup();
  gate = new Gate();
  await startApiGateway();
});

afterAll(async () => {
  gate.release();
  await env?.cleanup();
});

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

function auth(token = TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

const pointer = (text: string) => text.replaceAll('~', '~0').replaceAll('/', '~1');

const SNAKE = /^[a-z][a-z0-9_]*$/;
/** Free-form data passed through as it was stored (the configuration, transcripts, audit payloads). */
const FREE_FORM = new Set(['$.config', '$.messages', '$.session.messages']);

/** The paths of keys that are not snake_case (names of records of free-form data excepted). */
export function nonSnakeKeys(value: unknown, path = '$'): string[] {
  if (FREE_FORM.has(path) || /\.action\.data$/.test(path)) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nonSnakeKeys(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(SNAKE.test(key) ? [] : [`${path}.${key}`]),
    ...nonSnakeKeys(item, `${path}.${key}`),
  ]);
}

interface ServerEvent {
  event: string;
  data: Json;
}

/** GET /api/v1/events, read as it comes: wait for an event, or see all that came. */
async function openEvents(token = TOKEN) {
  const response = await fetch(`${env.gateway.url}/api/v1/events`, { headers: auth(token) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: ServerEvent[] = [];
  let buffer = '';
  let reading: Promise<void> | undefined;
  const readMore = () => {
    reading ??= reader.read().then(({ value, done }) => {
      reading = undefined;
      if (done) throw new Error('the event stream ended');
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name && data) events.push({ event: name, data: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
    });
    return reading;
  };
  let seen = 0;
  return {
    events,
    /** The next event (after the last one waited for) that matches. */
    async next(match: (event: ServerEvent) => boolean, what: string, timeoutMs = 8000): Promise<ServerEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((event, i) => i >= seen && match(event));
        if (index >= 0) {
          seen = index + 1;
          return events[index]!;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`);
        await Promise.race([readMore(), new Promise((resolve) => setTimeout(resolve, left))]);
      }
    },
    close: () => reader.cancel().catch(() => {}),
  };
}

/** Calls a route and checks the answer against the document's schema for its status. */
async function call(
  method: string,
  template: string,
  values: Record<string, string> = {},
  options: { body?: unknown; query?: string; token?: string; expect?: number } = {},
): Promise<{ status: number; body: Json; text: string }> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
  const response = await fetch(
    `${env.gateway.url}/api/v1${path}${options.query ? `?${options.query}` : ''}`,
    {
      method: method.toUpperCase(),
      headers: {
        ...auth(options.token),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    },
  );
  const text = await response.text();
  const status = response.status;
  expect(status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(
    options.expect ?? (method === 'post' && status === 201 ? 201 : 200),
  );
  called.add(`${method} ${template}`);
  const operation = document.paths[`/api/v1${template}`]?.[method] as
    | { responses: Record<string, { content: Record<string, unknown> }> }
    | undefined;
  expect(operation, `${method} ${template} is in the document`).toBeDefined();
  const media = Object.keys(operation!.responses[String(status)]?.content ?? {})[0];
  let body: unknown = text;
  if (media === 'application/json') {
    body = JSON.parse(text);
    const ref = `openapi.json#/paths/${pointer(`/api/v1${template}`)}/${method}/responses/${status}/content/${pointer(media)}/schema`;
    const valid = ajv.validate({ $ref: ref }, body);
    expect(valid, `${method} ${template} ${status}: ${ajv.errorsText()}`).toBe(true);
    // Every /api/v1 answer is snake_case (the document itself speaks OpenAPI's camelCase).
    if (template !== '/openapi.json')
      expect(nonSnakeKeys(body), `${method} ${template}: keys not in snake_case`).toEqual([]);
  }
  return { status, body, text };
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
    const { client, ack } = await TestClient.hello(env.wsUrl, { user_id: 'alice' });
    sendTurn(client, ack.payload.session.session_id, 'hello api');
    await client.take('turn_completed');
    client.close();
    const sessionId = ack.payload.session.session_id;
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

  it('searches sessions by name or id in the store: % and _ match only themselves, a user token only its own', async () => {
    const store = env.kernel.sessions!;
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
    const { client, ack } = await TestClient.hello(env.wsUrl, { user_id: 'carol' });
    sendTurn(client, ack.payload.session.session_id, 'carol private');
    await client.take('turn_completed');
    client.close();
    const carol = ack.payload.session.session_id;
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
});
