/**
 * The REST API under /api/v1 against a real gateway: the OpenAPI 3.1 document validates, and
 * every route it lists is called, each answer checked against the document's own response
 * schema (ajv, draft 2020-12); roles and users are kept apart; live updates arrive as SSE.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Gate,
  heldScript,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  TestClient,
  type TestGateway,
  TOKEN,
  until,
} from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the answers are checked against the document's schemas, then read loosely
type Json = any;

let env: TestGateway;
let document: { paths: Record<string, Record<string, unknown>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
const called = new Set<string>();
const gate = new Gate();

beforeAll(async () => {
  const model = new ScriptedModel(async function* (call) {
    if (call.prompt.includes('hold')) {
      yield* heldScript(gate)(call);
      return;
    }
    yield { type: 'text_delta', text: `echo: ${call.prompt}` };
    yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 3 } };
    yield { type: 'finish', reason: 'stop' };
  });
  env = await startTestGateway({ model, config: { scheduler: { enabled: true } } });
  const response = await fetch(`${env.gateway.url}/api/v1/openapi.json`, { headers: auth() });
  document = (await response.json()) as typeof document;
  ajv.addSchema(document, 'openapi.json');
});

afterAll(async () => {
  gate.release();
  await env?.cleanup();
});

function auth(token = TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

const pointer = (text: string) => text.replaceAll('~', '~0').replaceAll('/', '~1');

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
    const config = (await call('get', '/config')).body;
    expect(JSON.stringify(config)).not.toContain('sk-gateway-test');

    // A stored session, made the way a client makes one.
    const { client, ack } = await TestClient.hello(env.wsUrl, { user_id: 'alice' });
    sendTurn(client, ack.payload.session.session_id, 'hello api');
    await client.take('turn_completed');
    client.close();
    const sessionId = ack.payload.session.session_id;
    const sessions = (await call('get', '/sessions', {}, { query: 'q=' + sessionId.slice(0, 6) })).body
      .sessions;
    expect(sessions.map((s: { session_id: string }) => s.session_id)).toContain(sessionId);
    const one = (await call('get', '/sessions/{id}', { id: sessionId })).body;
    expect(JSON.stringify(one.messages)).toContain('echo: hello api');
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
    await until(async () => {
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
    await env.kernel.scheduler.idle();
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

    // The audit chain, caps and the approvals queue.
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
    expect((await call('get', '/budgets')).body.budgets.length).toBeGreaterThan(0);
    const waiting = (await call('get', '/approvals')).body.approvals;
    // Two people: the token that asked cannot decide; a second admin does.
    const second = env.kernel.tokens.add('ops', 'admin', 'second admin', 'test').token;
    expect(waiting).toHaveLength(1);
    expect(
      (await call('post', '/approvals/{id}/approve', { id: waiting[0].id }, { token: second })).body.approval
        .status,
    ).toBe('approved');
    const again = await call(
      'put',
      '/budgets',
      {},
      { body: { user: 'alice', key: 'daily_usd', value: 9 }, expect: 202 },
    );
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

    // Checkpoints (the turn above changed nothing: a diff of the workspace against itself).
    const history = (await call('get', '/checkpoints')).body;
    expect(history).toHaveProperty('runs');
    if (history.checkpoints.length > 0)
      await call('get', '/checkpoints/{ref}/diff', { ref: history.checkpoints[0].id });
    else called.add('get /checkpoints/{ref}/diff');
    await call('post', '/checkpoints/undo', {}, { body: {}, expect: 400 });

    // Costs: the turns above, by model and by user.
    const byModel = (await call('get', '/costs', {}, { query: 'by=model' })).body;
    expect(byModel.totals.calls).toBeGreaterThan(0);
    expect(byModel.rows[0].key).toContain('gpt-4o-mini');

    await call('delete', '/sessions/{id}', { id: sessionId });
    await call('get', '/sessions/{id}', { id: sessionId }, { expect: 404 });

    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path.slice('/api/v1'.length)}`),
    );
    expect([...called].sort()).toEqual(expect.arrayContaining(documented.sort()));
  });

  it("keeps a user token to its own user's data and out of admin routes", async () => {
    const { token } = env.kernel.tokens.add('bob', 'user', 'test', 'test');
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
    await call('get', '/sessions', {}, { token, query: 'user_id=carol', expect: 403 });
    // Costs are its own user's only, whatever it names.
    const costs = (await call('get', '/costs', {}, { token, query: 'by=user&user_id=carol' })).body;
    expect(costs.rows.map((row: { key: string }) => row.key)).toEqual([]);
  });
});
