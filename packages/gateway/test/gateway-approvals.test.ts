/**
 * Approvals over the WebSocket protocol, on a real kernel: a client that says "approvals" in
 * hello gets approval_requested for a privileged call (approval = "ask"), answers with
 * approval_response, and sees approval_resolved; only the session's user can answer; a session
 * nobody who answers is watching is refused at once (by "policy"); old clients get no new frames.
 */

import type { GatewayClient } from '@oxydra/gateway-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Hello, helloClient } from './hello-client.js';
import { sendTurn, shellThenReport, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;
const clients: GatewayClient[] = [];

beforeEach(async () => {
  env = await startTestGateway({ config: { tools: { approval: 'ask' } } });
  env.model.script = shellThenReport;
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await env.cleanup();
});

async function hello(payload: Hello = {}) {
  const result = await helloClient(env.wsUrl, payload, TOKEN);
  clients.push(result.client);
  return result;
}

describe('approvals over the protocol', () => {
  it('echoes the capabilities it will use, and leaves hello_ack as it was for clients that ask for none', async () => {
    const asking = await hello({ user_id: 'ann', capabilities: ['approvals', 'telepathy'] });
    expect(asking.ack.capabilities).toEqual(['approvals']);
    const plain = await hello({ user_id: 'ann' });
    expect(plain.ack.capabilities).toBeUndefined();
  });

  it('a client that answers "yes" lets the command run; every answering client sees the resolution', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = ack.session.session_id;
    const watcher = await hello({ user_id: 'ann', session_id: id, capabilities: ['approvals'] });
    sendTurn(client, id, 'run it', 't1');
    const asked = await inbox.take('approval_requested');
    expect(asked.payload).toMatchObject({
      session: ack.session,
      turn: { turn_id: 't1', index: 1 },
      tool: 'shell_exec',
      summary: expect.stringContaining('echo approved'),
    });
    expect(Date.parse(asked.payload.expires_at)).toBeGreaterThan(Date.now());
    await watcher.inbox.take('approval_requested');
    client.send('approval_response', { approval_id: asked.payload.approval_id, allow: true });
    const resolved = await watcher.inbox.take('approval_resolved');
    expect(resolved.payload).toMatchObject({
      approval_id: asked.payload.approval_id,
      allow: true,
      by: 'client',
    });
    const done = await inbox.take('turn_completed');
    expect(done.payload.response.message).toContain('approved-42');
  });

  it('"no" denies: the command does not run and the model is told', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = ack.session.session_id;
    sendTurn(client, id, 'run it');
    const asked = await inbox.take('approval_requested');
    client.send('approval_response', { approval_id: asked.payload.approval_id, allow: false });
    expect((await inbox.take('approval_resolved')).payload).toMatchObject({ allow: false, by: 'client' });
    const done = await inbox.take('turn_completed');
    expect(done.payload.response.message).not.toContain('approved-42');
  });

  it("only the session's user can answer: another user's answer is refused and changes nothing", async () => {
    const owner = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = owner.ack.session.session_id;
    const intruder = await hello({ user_id: 'mallory', capabilities: ['approvals'] });
    sendTurn(owner.client, id, 'run it');
    const asked = await owner.inbox.take('approval_requested');
    const answer = intruder.client.send('approval_response', {
      approval_id: asked.payload.approval_id,
      allow: true,
    });
    expect((await intruder.inbox.take('error')).payload).toMatchObject({
      request_id: answer,
      code: 'unknown_approval',
    });
    expect(env.kernel.approvals.pending().map((p) => p.id)).toContain(asked.payload.approval_id);
    owner.client.send('approval_response', { approval_id: asked.payload.approval_id, allow: false });
    expect((await owner.inbox.take('turn_completed')).payload.response.message).not.toContain('approved-42');
  });

  it('when the last client that answers leaves, its open question is refused at once (not at the timeout)', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'ann', capabilities: ['approvals'] });
    const id = ack.session.session_id;
    const watcher = await hello({ user_id: 'ann', session_id: id });
    sendTurn(client, id, 'run it');
    await inbox.take('approval_requested');
    client.close();
    const done = await watcher.inbox.take('turn_completed');
    expect(done.payload.response.message).not.toContain('approved-42');
    expect(env.kernel.approvals.pending()).toEqual([]);
  });

  it('with no client that answers approvals, the call is refused at once and old clients get no new frames', async () => {
    const { client, inbox, ack } = await hello({ user_id: 'ann' });
    sendTurn(client, ack.session.session_id, 'run it');
    const done = await inbox.take('turn_completed');
    expect(done.payload.response.message).toContain('nobody can approve shell_exec over the gateway');
    expect(inbox.frames.some((f) => f.type === 'approval_requested' || f.type === 'approval_resolved')).toBe(
      false,
    );
    expect(inbox.malformed).toEqual([]);
  });
});
