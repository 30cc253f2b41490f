/**
 * How the real `oxydra gateway` assembles its agents (run/setup.ts under the gateway): every
 * agent shares the one memory database connection the daemon opened; the gateway token is
 * scrubbed from tool output and stored transcripts like a provider key; and sessions belong to
 * their gateway user, so recall in one user's session never brings up another user's talk.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type Hello, type HelloClient, helloClient } from '@oxydra/gateway/testing/hello-client';
import type { GatewayClient } from '@oxydra/gateway-client';
import type { ScenarioStep } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, generatedToken, stopGatewayAndEnv } from './gateway-daemon.js';

const OPENAI_CHAT = { type: 'openai' as const, api: 'openai-chat' as const };

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
/** The token of the daemon a test started, for its WebSocket clients. */
let wsToken = '';
const clients: GatewayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await stopGatewayAndEnv(daemon, env);
  daemon = undefined;
  env = undefined;
});

async function startGateway(steps: ScenarioStep[], extraToml = '', extraEnv: NodeJS.ProcessEnv = {}) {
  env = await AgentEnv.start(OPENAI_CHAT, steps, extraToml);
  Object.assign(env.sandbox.env, extraEnv);
  daemon = await GatewayDaemon.start(env);
  wsToken = extraEnv.OXYDRA_GATEWAY_TOKEN ?? generatedToken(env);
  return daemon;
}

async function hello(payload: Hello) {
  const result = await helloClient(daemon!.wsUrl, payload, wsToken);
  clients.push(result.client);
  return { client: result.client, inbox: result.inbox, sessionId: result.ack.session.session_id };
}

/** Sends a turn and waits for its reply. */
async function turn(opened: Omit<HelloClient, 'ack'>, sessionId: string, prompt: string): Promise<string> {
  const turnId = opened.client.newTurnId();
  opened.client.send('send_turn', { session_id: sessionId, turn_id: turnId, prompt });
  const done = await opened.inbox.take('turn_completed', (f) => f.payload.turn.turn_id === turnId, 15_000);
  return done.payload.response.message;
}

/** How many of the process's open files are the memory database itself (one per connection). */
function openDatabaseFiles(pid: number, database: string): number {
  const fds = join('/proc', String(pid), 'fd');
  return readdirSync(fds).filter((fd) => {
    try {
      return readlinkSync(join(fds, fd)) === database;
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

describe('the gateway assembles its agents', () => {
  it.skipIf(!existsSync('/proc/self/fd'))(
    "runs every agent's turns on the one memory database connection it opened",
    async () => {
      await startGateway(
        [
          { match: { lastMessageContains: 'helper, hi' }, reply: { text: 'The helper answers.' } },
          { reply: { text: 'The default agent answers.' } },
        ],
        '\n[agents.helper]\nsystem_prompt = "You are the helper agent."\n',
      );
      const database = join(env!.workspace, '.oxydra/memory.db');
      const pid = daemon!.child.pid!;
      // A new workspace's: created and opened by the first turn, not by the start.
      expect(openDatabaseFiles(pid, database)).toBe(0);

      const { client, inbox, sessionId } = await hello({ user_id: 'alice' });
      expect(await turn({ client, inbox }, sessionId, 'default, hi')).toBe('The default agent answers.');
      client.send('create_session', { agent_name: 'helper' });
      const created = await inbox.take('session_created');
      expect(created.payload.agent_name).toBe('helper');
      expect(await turn({ client, inbox }, created.payload.session.session_id, 'helper, hi')).toBe(
        'The helper answers.',
      );
      // The helper's own setup ran the turn (its system prompt), on the same connection.
      expect(env!.mock.requests.at(-1)!.raw).toContain('You are the helper agent.');
      expect(openDatabaseFiles(pid, database)).toBe(1);

      // And it is closed once: a clean shutdown.
      daemon!.kill('SIGTERM');
      expect(await daemon!.exited).toBe(0);
      expect(daemon!.stderr).toBe('');
    },
  );

  it('scrubs the gateway token from tool output and from the stored transcript', async () => {
    // Word-like, no digits: only the literal secret rule (not the entropy rule) can catch it.
    const token = 'purple-monkey-dishwasher-gateway';
    await startGateway(
      [
        {
          match: { lastMessageContains: 'Echo it' },
          reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `echo ${token}` } }] },
        },
        { reply: { text: 'Echoed.' } },
      ],
      '',
      { OXYDRA_GATEWAY_TOKEN: token },
    );
    const { client, inbox, sessionId } = await hello({ user_id: 'alice' });
    expect(await turn({ client, inbox }, sessionId, 'Echo it please')).toBe('Echoed.');

    // What the model got back from the tool: the output with the token replaced.
    const second = JSON.parse(env!.requestText(1)) as { messages: { role: string; content: string }[] };
    const toolResult = second.messages.find((message) => message.role === 'tool')!;
    expect(toolResult.content).toContain('[REDACTED]');
    expect(toolResult.content).not.toContain(token);

    // What the session stored: no trace of it, not even in the tool call's arguments.
    const stored = await env!.run(['sessions', 'show', '--json', sessionId]);
    expect(stored.status).toBe(0);
    expect(stored.stdout).toContain('[REDACTED]');
    expect(stored.stdout).toContain('Echoed.');
    expect(stored.stdout).not.toContain(token);
  });

  it("recalls a user's own earlier conversations, never another user's", async () => {
    await startGateway([{ reply: { text: 'Noted.' }, times: 'always' }]);
    const alice = await hello({ user_id: 'alice' });
    await turn(alice, alice.sessionId, 'The orchard launch code is ZEBRA-7781, keep it safe.');

    // Bob asks about it in his own session: nothing of alice's reaches his model call.
    const bob = await hello({ user_id: 'bob' });
    await turn(bob, bob.sessionId, 'What is the orchard launch code?');
    const bobsCall = env!.mock.requests.at(-1)!.raw;
    expect(bobsCall).toContain('What is the orchard launch code?');
    expect(bobsCall).not.toContain('ZEBRA-7781');

    // Alice asks the same in a new session: her earlier conversation is recalled (so the
    // check above could have failed).
    const again = await hello({ user_id: 'alice', create_new_session: true });
    expect(again.sessionId).not.toBe(alice.sessionId);
    await turn(again, again.sessionId, 'What is the orchard launch code?');
    const alicesCall = env!.mock.requests.at(-1)!.raw;
    expect(alicesCall).toContain('Relevant context from memory');
    expect(alicesCall).toContain('ZEBRA-7781');
  });
});
