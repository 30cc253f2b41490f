/**
 * Approvals over the WebSocket protocol, on a real kernel: a client that says "approvals" in
 * hello gets approval_requested for a privileged call (approval = "ask"), answers with
 * approval_response, and sees approval_resolved; only the session's user can answer; a session
 * nobody who answers is watching is refused at once (by "policy"); old clients get no new frames.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendTurn, shellThenReport, startTestGateway, TestClient, type TestGateway } from './helpers.js';

let env: TestGateway;
const clients: TestClient[] = [];

beforeEach(async () => {
  env = await startTestGateway({ config: { tools: { approval: 'ask' } } });
  env.model.script = shellThenReport;
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await env.cleanup();
});

async function hello(payload: Parameters<typeof TestClient.hello>[1] = {}) {
  const result = await TestClient.hello(env.wsUrl, payload);
  clients.push(result.client);
  return result;
}

describe('approvals over the protocol', () => {
  it('echoes the capabilities it will use, and leaves hello_ack as it was for clients that ask for none', async () => {
    const asking = await hello({ user_id: 'ann', capabilities: ['approvals', 'telepathy'] });
    expect(asking.ack.payload.capabilities).toEqual(['approvals']);
    const plain = await hello({ user_id: 'ann' });
    expect(plain.ack.payload.capabilities).toBeUndefined();
  });

  it('a client that answers "yes" lets the command run; every answering client sees the resolution', async () => {
    const { client, ack } = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = ack.payload.session.session_id;
    const watcher = await hello({ user_id: 'ann', session_id: id, capabilities: ['approvals'] });
    sendTurn(client, id, 'run it', 't1');
    const asked = await client.take('approval_requested');
    expect(asked.payload).toMatchObject({
      session: ack.payload.session,
      turn: { turn_id: 't1', index: 1 },
      tool: 'shell_exec',
      summary: expect.stringContaining('echo approved'),
    });
    expect(Date.parse(asked.payload.expires_at)).toBeGreaterThan(Date.now());
    await watcher.client.take('approval_requested');
    client.send({
      type: 'approval_response',
      payload: { request_id: 'a1', approval_id: asked.payload.approval_id, allow: true },
    });
    const resolved = await watcher.client.take('approval_resolved');
    expect(resolved.payload).toMatchObject({
      approval_id: asked.payload.approval_id,
      allow: true,
      by: 'client',
    });
    const done = await client.take('turn_completed');
    expect(done.payload.response.message).toContain('approved-42');
  });

  it('"no" denies: the command does not run and the model is told', async () => {
    const { client, ack } = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = ack.payload.session.session_id;
    sendTurn(client, id, 'run it');
    const asked = await client.take('approval_requested');
    client.send({
      type: 'approval_response',
      payload: { request_id: 'a1', approval_id: asked.payload.approval_id, allow: false },
    });
    expect((await client.take('approval_resolved')).payload).toMatchObject({ allow: false, by: 'client' });
    const done = await client.take('turn_completed');
    expect(done.payload.response.message).not.toContain('approved-42');
  });

  it("only the session's user can answer: another user's answer is refused and changes nothing", async () => {
    const owner = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = owner.ack.payload.session.session_id;
    const intruder = await hello({ user_id: 'mallory', capabilities: ['approvals'] });
    sendTurn(owner.client, id, 'run it');
    const asked = await owner.client.take('approval_requested');
    intruder.client.send({
      type: 'approval_response',
      payload: { request_id: 'x', approval_id: asked.payload.approval_id, allow: true },
    });
    expect((await intruder.client.take('error')).payload).toMatchObject({
      request_id: 'x',
      code: 'unknown_approval',
    });
    expect(env.kernel.approvals.pending().map((p) => p.id)).toContain(asked.payload.approval_id);
    owner.client.send({
      type: 'approval_response',
      payload: { request_id: 'a', approval_id: asked.payload.approval_id, allow: false },
    });
    expect((await owner.client.take('turn_completed')).payload.response.message).not.toContain('approved-42');
  });

  it('when the last client that answers leaves, its open question is refused at once (not at the timeout)', async () => {
    const { client, ack } = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = ack.payload.session.session_id;
    const watcher = await hello({ user_id: 'ann', session_id: id });
    sendTurn(client, id, 'run it');
    await client.take('approval_requested');
    client.close();
    const done = await watcher.client.take('turn_completed');
    expect(done.payload.response.message).not.toContain('approved-42');
    expect(env.kernel.approvals.pending()).toEqual([]);
  });

  it('with no client that answers approvals, the call is refused at once and old clients get no new frames', async () => {
    const { client, ack } = await hello({ user_id: 'ann' });
    sendTurn(client, ack.payload.session.session_id, 'run it');
    const done = await client.take('turn_completed');
    expect(done.payload.response.message).toContain('nobody can approve shell_exec over the gateway');
    expect(client.frames.some((f) => f.type === 'approval_requested' || f.type === 'approval_resolved')).toBe(
      false,
    );
    expect(client.invalid).toEqual([]);
  });
});
