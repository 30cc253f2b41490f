/**
 * A workspace whose `.oxydra/` is removed or replaced under a running gateway: /readyz answers
 * 503 with the reason, new connections, requests, sessions and turns are refused with one line
 * saying to restart, the audit head is written into no other folder, and after a restart on
 * the folder that is there now (and on the original one, put back) the chain verifies clean.
 * A real gateway on a real kernel, real files, real sockets.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayClient } from '@oxydra/gateway-client';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { type HelloClient, helloClient } from './hello-client.js';
import {
  echoScript,
  jsonOf,
  postJson,
  ScriptedModel,
  sendTurn,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';
import { RawSocket } from './raw-socket.js';

const MOVED = "the workspace's .oxydra/ was removed or replaced while the gateway ran; restart it";

let env: TestGateway | undefined;
const clients: GatewayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await env?.cleanup();
  env = undefined;
});

async function started(): Promise<TestGateway> {
  env = await startTestGateway({ model: new ScriptedModel(echoScript) });
  return env;
}

/** A completed turn over the OpenAI-compatible API: audit entries and a head to anchor. */
async function oneTurn(gateway: TestGateway): Promise<void> {
  const response = await postJson(gateway.gateway, '/v1/chat/completions', {
    model: 'default',
    messages: [{ role: 'user', content: 'hello' }],
  });
  expect(response.status).toBe(200);
}

async function expectRefusals(gateway: TestGateway, opened: HelloClient, reason: RegExp) {
  const { client, inbox } = opened;
  const sessionId = opened.ack.session.session_id;
  const ready = await fetch(`${gateway.gateway.url}/readyz`);
  expect(ready.status).toBe(503);
  const body = await jsonOf(ready);
  expect(body.status).toBe('not_ready');
  expect(body.reason).toContain(MOVED);
  expect(body.reason).toMatch(reason);
  expect(body.reason).not.toContain(gateway.workspace);

  const chat = await postJson(gateway.gateway, '/v1/chat/completions', {
    model: 'default',
    messages: [{ role: 'user', content: 'again' }],
  });
  expect(chat.status).toBe(503);
  expect((await jsonOf(chat)).error).toMatchObject({
    code: 'workspace_moved',
    message: expect.stringContaining(MOVED),
  });

  const upgrade = await RawSocket.open(gateway.wsUrl, { token: TOKEN }).then(
    () => 'open',
    (error: { status: number }) => error.status,
  );
  expect(upgrade).toBe(503);

  // A client connected before: its next turn and a new session are refused, with the message.
  sendTurn(client, sessionId, 'after the move');
  expect((await inbox.take('error')).payload).toMatchObject({
    code: 'workspace_moved',
    message: expect.stringContaining(MOVED),
  });
  client.send('create_session', {});
  expect((await inbox.take('error')).payload).toMatchObject({ code: 'workspace_moved' });
  expect(gateway.spawns.filter((spawn) => spawn.prompt === 'after the move')).toHaveLength(0);
}

describe('the workspace state moved under a running gateway', () => {
  it('rm -rf .oxydra: not ready, everything refused, no folder made again, a clean chain after the restart', async () => {
    const gateway = await started();
    const opened = await helloClient(gateway.wsUrl, { create_new_session: true }, TOKEN);
    clients.push(opened.client);
    await oneTurn(gateway);
    expect((await fetch(`${gateway.gateway.url}/readyz`)).status).toBe(200);

    const state = join(gateway.workspace, '.oxydra');
    rmSync(state, { recursive: true, force: true });
    await expectRefusals(gateway, opened, /\.oxydra\/ was removed/);

    // Stopping flushes the audit head: by name it would make .oxydra/ again, holding a head
    // that the next (empty) chain does not reach.
    await gateway.stop();
    expect(existsSync(state)).toBe(false);

    env = await gateway.restart();
    const report = await (await env.kernel.service('audit')).verify();
    expect(report.problems).toEqual([]);
    expect((await fetch(`${env.gateway.url}/readyz`)).status).toBe(200);
  });

  it('mv .oxydra .oxydra.old && mkdir .oxydra: nothing is written into the new folder, and both chains verify', async () => {
    const gateway = await started();
    const opened = await helloClient(gateway.wsUrl, { create_new_session: true }, TOKEN);
    clients.push(opened.client);
    await oneTurn(gateway);

    const state = join(gateway.workspace, '.oxydra');
    const old = join(gateway.workspace, '.oxydra.old');
    renameSync(state, old);
    mkdirSync(state);
    await expectRefusals(gateway, opened, /\.oxydra\/ was replaced/);
    await gateway.stop();
    expect(readdirSync(state)).toEqual([]);

    // The folder there now: a new, empty chain, and no head left over from the other one.
    env = await gateway.restart();
    expect((await (await env.kernel.service('audit')).verify()).problems).toEqual([]);
    await env.stop();

    // The original folder, put back: its chain (with what was written after the move) is whole.
    rmSync(state, { recursive: true, force: true });
    renameSync(old, state);
    env = await gateway.restart();
    const report = await (await env.kernel.service('audit')).verify();
    expect(report.problems).toEqual([]);
    expect(report.entries).toBeGreaterThan(0);
  });

  it('notices without any request, and logs it once', async () => {
    const lines: string[] = [];
    env = await startTestGateway({ log: (level, message) => lines.push(`${level} ${message}`) });
    rmSync(join(env.workspace, '.oxydra'), { recursive: true, force: true });
    // The guard's own timer (every few seconds) finds it: no request asked.
    await pollUntil(() => lines.some((line) => line === `error ${MOVED}`), 'the log line', {
      timeoutMs: 15_000,
    });
    await fetch(`${env.gateway.url}/readyz`);
    expect(lines.filter((line) => line === `error ${MOVED}`)).toHaveLength(1);
  });
});
