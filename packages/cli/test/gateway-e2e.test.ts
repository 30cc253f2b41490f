/**
 * End to end: the real `oxydra gateway` binary against the testkit's mock LLM, driven by a plain
 * WebSocket client, raw HTTP and the official `openai` npm client.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Hello, helloClient } from '@oxydra/gateway/testing/hello-client';
import { RawSocket } from '@oxydra/gateway/testing/raw-socket';
import type { ScenarioStep } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { GATEWAY_PROTOCOL_VERSION } from '@oxydra/types/gateway';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_KEY } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

const OPENAI_CHAT = { type: 'openai' as const, api: 'openai-chat' as const };

let env: AgentEnv | undefined;
const daemons: GatewayDaemon[] = [];
/** The token of the daemon a test started, for its WebSocket clients. */
let wsToken = '';
const clients: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const daemon of daemons.splice(0)) {
    daemon.kill('SIGKILL');
    await daemon.exited;
  }
  await env?.close();
  env = undefined;
});

async function start(steps: ScenarioStep[], extraToml = '', args: string[] = []): Promise<GatewayDaemon> {
  env ??= await AgentEnv.start(OPENAI_CHAT, steps, extraToml);
  const daemon = await GatewayDaemon.start(env, args);
  daemons.push(daemon);
  wsToken = generatedToken(env);
  return daemon;
}

async function hello(daemon: GatewayDaemon, payload: Hello = {}) {
  const result = await helloClient(daemon.wsUrl, payload, wsToken);
  clients.push(result.client);
  return result;
}

describe('oxydra gateway', () => {
  it('runs a full turn for a plain WebSocket client: hello, send_turn, deltas, turn_completed', async () => {
    const daemon = await start([
      {
        reply: {
          text: 'The gateway streams this answer in many small pieces.',
          textChunks: 12,
          usage: { input: 40, output: 12 },
        },
      },
    ]);
    const { client, inbox, ack } = await hello(daemon, { user_id: 'alice' });
    expect(ack).toMatchObject({
      protocol_version: GATEWAY_PROTOCOL_VERSION,
      session: { user_id: 'alice' },
    });
    const session = ack.session;
    const requestId = client.send('send_turn', {
      session_id: session.session_id,
      turn_id: 't1',
      prompt: 'Say something',
    });
    const completed = await inbox.take('turn_completed', () => true, 15_000);
    expect(completed.payload).toMatchObject({
      request_id: requestId,
      session,
      turn: { turn_id: 't1', index: 1 },
      response: {
        message: 'The gateway streams this answer in many small pieces.',
        finish_reason: 'stop',
        tool_calls: [],
        usage: { input_tokens: 40, output_tokens: 12 },
      },
    });
    expect(completed.payload.response.usage.cost_usd).toBeGreaterThan(0);
    const deltas = inbox.frames.flatMap((f) => (f.type === 'assistant_delta' ? [f.payload.delta] : []));
    expect(deltas.length).toBe(12);
    expect(deltas.join('')).toBe('The gateway streams this answer in many small pieces.');
    expect(inbox.frames[0]?.type).toBe('turn_started'); // the first frame after hello_ack
    expect(inbox.malformed).toEqual([]);
    // The model saw the prompt; the provider key went to the provider, and to nobody else.
    expect(env!.requestText(0)).toContain('Say something');
    expect(daemon.stdout).not.toContain(E2E_KEY);
    expect(daemon.stdout).not.toContain(generatedToken(env!));
  });

  it('keeps its token in a 0600 file and logs where it is, never the token', async () => {
    const daemon = await start([]);
    const tokenFile = join(env!.sandbox.home, '.config', 'oxydra', 'gateway-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const listening = daemon.logs().find((line) => line.msg.startsWith('listening on'));
    expect(listening).toMatchObject({ level: 'info', token_file: tokenFile });
    expect(generatedToken(env!)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(daemon.stdout + daemon.stderr).not.toContain(generatedToken(env!));
  });

  it('refuses requests and WebSocket upgrades without the right token (401), and foreign origins (403)', async () => {
    const daemon = await start([]);
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789']) {
      const response = await fetch(`${daemon.url}/v1/sessions`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      const upgrade = await RawSocket.open(daemon.wsUrl, {
        token: authorization ? 'wrong-token-0123456789' : null,
      }).catch((e: { status: number }) => e.status);
      expect(upgrade).toBe(401);
    }
    const foreign = await RawSocket.open(daemon.wsUrl, {
      token: wsToken,
      headers: { origin: 'https://evil.example' },
    }).catch((e: { status: number }) => e.status);
    expect(foreign).toBe(403);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
  });

  it('stays healthy after 1,000 malformed frames: health_check is answered and a turn still runs', async () => {
    const daemon = await start(
      [{ reply: { text: 'still here' }, times: 'always' }],
      '\n[gateway]\nrate_limit_burst = 5000\nrate_limit_per_sec = 5000\n',
    );
    const flood = await RawSocket.open(daemon.wsUrl, { token: wsToken });
    clients.push(flood);
    const junk = [
      '{',
      'null',
      '[]',
      '{"type":"hello"}',
      '{"type":"send_turn","payload":{"request_id":1}}',
      '{"type":"rm -rf","payload":{}}',
    ];
    for (let i = 0; i < 1000; i++) flood.socket.send(junk[i % junk.length]!);
    flood.send({ type: 'health_check', payload: { request_id: 'after-flood' } });
    const health = await flood.inbox.take('health_status', () => true, 15_000);
    expect(health.payload).toMatchObject({ request_id: 'after-flood', healthy: true });
    expect(
      flood.inbox.frames.filter((f) => f.type === 'error' && f.payload.code === 'invalid_frame'),
    ).toHaveLength(1000);
    const { client, inbox, ack } = await hello(daemon);
    client.send('send_turn', { session_id: ack.session.session_id, turn_id: 't', prompt: 'ok?' });
    expect((await inbox.take('turn_completed', () => true, 15_000)).payload.response.message).toBe(
      'still here',
    );
  });

  it('resumes a session with its history after being killed mid-session (and mid-turn)', async () => {
    const steps: ScenarioStep[] = [
      { match: { lastMessageContains: 'My name is Zed' }, reply: { text: 'Nice to meet you, Zed.' } },
      {
        match: { lastMessageContains: 'Count slowly' },
        reply: { text: 'one two three four five six seven eight', textChunks: 8 },
        fault: { slowChunksMs: 400 },
      },
      { match: { lastMessageContains: 'What is my name' }, reply: { text: 'Your name is Zed.' } },
    ];
    let daemon = await start(steps);
    const first = await hello(daemon, { user_id: 'zed', create_new_session: true });
    const sessionId = first.ack.session.session_id;
    first.client.send('send_turn', { session_id: sessionId, turn_id: 'intro', prompt: 'My name is Zed.' });
    await first.inbox.take('turn_completed', () => true, 15_000);
    first.client.send('send_turn', {
      session_id: sessionId,
      turn_id: 'slow',
      prompt: 'Count slowly to eight.',
    });
    await first.inbox.take('assistant_delta', (f) => f.payload.turn.turn_id === 'slow', 15_000);

    daemon.kill('SIGKILL');
    expect(await daemon.exited).toBeNull(); // killed by the signal, no chance to clean up
    daemon = await start(steps);

    const resumed = await hello(daemon, { user_id: 'zed', session_id: sessionId });
    expect(resumed.ack.session).toEqual({ user_id: 'zed', session_id: sessionId });
    expect(resumed.ack.active_turn).toEqual({ turn_id: 'slow', state: 'failed' });
    resumed.client.send('send_turn', { session_id: sessionId, turn_id: 'ask', prompt: 'What is my name?' });
    const answer = await resumed.inbox.take('turn_completed', () => true, 15_000);
    expect(answer.payload.response.message).toBe('Your name is Zed.');
    expect(answer.payload.turn).toEqual({ turn_id: 'ask', index: 3 });
    // The model got the conversation so far, stored before the kill.
    const last = env!.mock.requests.at(-1)!.raw;
    expect(last).toContain('My name is Zed.');
    expect(last).toContain('Nice to meet you, Zed.');
    expect(last).toContain('Count slowly to eight.');
    expect(last).toContain('What is my name?');
  });

  it('streams a completion to the official openai client from /v1/chat/completions', async () => {
    const daemon = await start([{ reply: { text: 'Streamed through the gateway.', textChunks: 5 } }]);
    const openai = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: generatedToken(env!), maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'default',
      stream: true,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Earlier question' },
        { role: 'assistant', content: 'Earlier answer' },
        { role: 'user', content: 'Stream something' },
      ],
    });
    const pieces: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      pieces.push(chunk.choices[0]?.delta?.content ?? '');
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(pieces.join('')).toBe('Streamed through the gateway.');
    expect(pieces.filter(Boolean).length).toBe(5);
    expect(finish).toBe('stop');
    const sent = env!.mock.requests.at(-1)!.raw;
    expect(sent).toContain('Earlier answer');
    expect(sent).toContain('Stream something');
    // A wrong key is an authentication error, as from OpenAI itself.
    const stranger = new OpenAI({
      baseURL: `${daemon.url}/v1`,
      apiKey: 'not-the-gateway-token',
      maxRetries: 0,
    });
    await expect(
      stranger.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('approval = "ask": a client that answers approvals approves one command and denies another; without one, it is refused', async () => {
    const shell = (phrase: string, command: string): ScenarioStep => ({
      match: { lastMessageContains: phrase },
      reply: { toolCalls: [{ name: 'shell_exec', arguments: { command } }] },
    });
    env = await AgentEnv.start(OPENAI_CHAT, [
      shell('first please', 'echo one-$((1+1))'),
      shell('second please', 'echo two-$((1+1))'),
      shell('third please', 'echo three-$((1+1))'),
      { reply: { text: 'Done.' }, times: 'always' },
    ]);
    env.sandbox.env.OXYDRA__TOOLS__APPROVAL = 'ask';
    const daemon = await start([]);
    const { client, inbox, ack } = await hello(daemon, { capabilities: ['approvals'] });
    expect(ack.capabilities).toEqual(['approvals']);
    const session = ack.session.session_id;
    const turn = (prompt: string, turnId: string) =>
      client.send('send_turn', { session_id: session, turn_id: turnId, prompt });
    const answer = async (allow: boolean) => {
      const asked = await inbox.take('approval_requested', () => true, 15_000);
      expect(asked.payload).toMatchObject({ tool: 'shell_exec', summary: expect.stringContaining('echo') });
      client.send('approval_response', { approval_id: asked.payload.approval_id, allow });
      expect((await inbox.take('approval_resolved', () => true, 15_000)).payload).toMatchObject({
        allow,
        by: 'client',
      });
      await inbox.take('turn_completed', () => true, 15_000);
    };
    const toolResults = () => env!.mock.requests.map((request) => request.raw).join('\n');

    turn('first please', 't1');
    await answer(true);
    expect(toolResults()).toContain('one-2');
    turn('second please', 't2');
    await answer(false);
    expect(toolResults()).not.toContain('two-2');

    // A client that does not answer approvals: refused at once, with the way out.
    const plain = await hello(daemon, { create_new_session: true });
    const other = plain.ack.session.session_id;
    plain.client.send('send_turn', { session_id: other, turn_id: 't3', prompt: 'third please' });
    await plain.inbox.take('turn_completed', () => true, 15_000);
    expect(toolResults()).not.toContain('three-2');
    expect(toolResults()).toContain('nobody can approve shell_exec over the gateway');
    expect(toolResults()).toContain('approval = \\"auto\\"');
  });

  it('shuts down on SIGTERM: running turns are cancelled, clients told, exit 0', async () => {
    const daemon = await start([
      { reply: { text: 'a b c d e f g h', textChunks: 8 }, fault: { slowChunksMs: 500 } },
    ]);
    const { client, inbox, ack } = await hello(daemon);
    client.send('send_turn', {
      session_id: ack.session.session_id,
      turn_id: 'long',
      prompt: 'take your time',
    });
    await inbox.take('assistant_delta', () => true, 15_000);
    daemon.kill('SIGTERM');
    expect((await inbox.take('turn_cancelled')).payload.turn.turn_id).toBe('long');
    expect((await pollUntil(() => inbox.closed, 'the daemon to close the socket')).code).toBe(1001);
    expect(await daemon.exited).toBe(0);
    expect(daemon.logs().map((line) => line.msg)).toContain('stopped');
  });

  it('refuses a non-loopback bind without a configured token (exit 2), and accepts one with a token', async () => {
    env = await AgentEnv.start(OPENAI_CHAT, []);
    const refused = env.sandbox.run('gateway', '--bind', '0.0.0.0:0');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      'error: refusing to listen on 0.0.0.0, a non-loopback address, without a configured token\n' +
        '  hint: set OXYDRA_GATEWAY_TOKEN (or the variable named by [gateway] auth_token_env) to a long random token, or bind to 127.0.0.1\n',
    );
    expect(env.sandbox.run('gateway', '--bind', 'nonsense').status).toBe(2);
    expect(env.sandbox.run('gateway', '--log-format', 'xml').status).toBe(2);

    env.sandbox.env.OXYDRA_GATEWAY_TOKEN = 'a-configured-token-0123456789';
    const daemon = await GatewayDaemon.start(env, ['--bind', '0.0.0.0:0']);
    daemons.push(daemon);
    const port = new URL(daemon.url).port;
    const response = await fetch(`http://127.0.0.1:${port}/v1/sessions`, {
      headers: { authorization: 'Bearer a-configured-token-0123456789' },
    });
    expect(response.status).toBe(200);
    expect(daemon.logs().find((l) => l.msg.startsWith('listening'))).toMatchObject({
      token_from: '$OXYDRA_GATEWAY_TOKEN',
    });
  });
});
