/**
 * `oxydra channels run` with the real binary against the testkit's fake Discord (discord.js's
 * REST pointed at it through [channels.discord] api_url; the gateway URL is the fake's answer to
 * GET /gateway/bot) and the mock model: an allowed sender's DM is answered by editing one
 * message as it streams; a stranger gets nothing; in a server only a mention is answered; a
 * button press reaches the host; a message sent while no process ran is answered after the
 * restart, once (Discord's gateway does not replay it: the adapter reads it with REST); a turn
 * cut by SIGKILL is not run again. Everything is counted on the fake's side.
 */

import type { ChildProcess } from 'node:child_process';
import { STREAMING_MARK } from '@oxydra/channels';
import { FakeDiscord } from '@oxydra/testkit/discord';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

const OWNER = '400000000000000042';
const STRANGER = '400000000000009999';
const TOKEN = 'discord-e2e-secret-token-value';
const SERVER = { id: '500000000000000001', guildId: '500000000000000002' };

let env: AgentEnv | undefined;
let fake: FakeDiscord | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  await fake?.close();
  fake = undefined;
  await env?.close();
  env = undefined;
});

const channelsToml = (api: FakeDiscord) => `
[channels.discord]
enabled = true
bot_token_env = "TEST_DISCORD_TOKEN"
api_url = "${api.apiUrl}"

[[channels.discord.senders]]
platform_ids = ["${OWNER}"]
user = "alice"
`;

/** Starts `oxydra channels run`; resolves once it says it is answering. */
async function startChannels(agent: AgentEnv): Promise<{ child: ChildProcess; stderr: () => string }> {
  agent.sandbox.env.TEST_DISCORD_TOKEN = TOKEN;
  const child = agent.spawn(['channels', 'run']);
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout!.resume();
  await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`channels run exited ${child.exitCode}: ${stderr}`);
      return stderr.includes('answering as @oxydra_test_bot');
    },
    'channels run to start',
    { timeoutMs: 20_000 },
  );
  return { child, stderr: () => stderr };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

/** Waits for a message the bot sent to `channel` with exactly `text`; a timeout says what was sent and logged. */
async function sentText(channel: string, text: string, what: string, log: () => string) {
  try {
    return await pollUntil(() => fake!.sent(channel).find((m) => m.content === text), what, {
      timeoutMs: 20_000,
    });
  } catch (error) {
    const sent = fake!.sent(channel).map((m) => m.content.slice(0, 80));
    throw new Error(`${(error as Error).message}; sent: ${JSON.stringify(sent)}; log:\n${log()}`);
  }
}

const askedAbout = (agent: AgentEnv, words: string) =>
  agent.mock.requests.filter((r) => {
    const messages = (r.body as { messages: { role: string; content: unknown }[] }).messages;
    return JSON.stringify(messages.filter((m) => m.role === 'user').at(-1)).includes(words);
  }).length;

describe('oxydra channels run (Discord)', () => {
  it('streams to an allowed sender, ignores a stranger, takes a press, and answers each message once across a restart and a SIGKILL', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        {
          match: { lastMessageContains: 'first question' },
          reply: { text: 'The answer comes in several words, one at a time.', textChunks: 5 },
          fault: { slowChunksMs: 300 },
        },
        { match: { lastMessageContains: 'server question' }, reply: { text: 'Server answer.' } },
        { match: { lastMessageContains: 'while stopped' }, reply: { text: 'Answered after the restart.' } },
        {
          match: { lastMessageContains: 'slow question' },
          reply: { text: 'This answer is never finished.', textChunks: 6 },
          fault: { slowChunksMs: 2000 },
        },
        { match: { lastMessageContains: 'after the kill' }, reply: { text: 'Fine after the kill.' } },
      ],
      channelsToml(fake),
    );
    const dm = fake.dmChannel(OWNER);
    const first = await startChannels(env);

    fake.message({ author: { id: STRANGER }, content: 'hello, who are you?' });
    fake.message({ author: { id: OWNER, username: 'alice' }, content: 'my first question' });
    const answered = await sentText(
      dm,
      'The answer comes in several words, one at a time.',
      'the first answer',
      first.stderr,
    );
    // One message, edited (PATCH) as the answer streamed: the placeholder, at least one part, the whole.
    expect(fake.sent(dm)).toHaveLength(1);
    expect(answered.history[0]).toBe('…');
    const partial = answered.history.slice(1, -1);
    expect(partial.length).toBeGreaterThanOrEqual(1);
    // Each streamed edit ends with the mark that says the answer is not done yet.
    for (const text of partial) {
      expect(text.endsWith(STREAMING_MARK)).toBe(true);
      expect(answered.content.startsWith(text.slice(0, -STREAMING_MARK.length))).toBe(true);
    }
    expect(fake.calls.some((c) => c.method === 'PATCH')).toBe(true);
    // It mentions nobody; the stranger got nothing and is logged once; the token is never printed.
    expect(answered.allowedMentions).toEqual({ parse: [] });
    expect(fake.sent(fake.dmChannel(STRANGER))).toEqual([]);
    expect(first.stderr()).toContain(`ignoring messages from unknown sender ${STRANGER}`);
    expect(first.stderr()).not.toContain(TOKEN);

    // A press of a button reaches the host, which acknowledges it (no question is open yet).
    const press = fake.press({
      user: { id: OWNER },
      channelId: dm,
      messageId: answered.id,
      customId: 'approve:1',
    });
    const callback = await pollUntil(
      () => fake!.callbacks.find((c) => c.interactionId === press),
      'the press to be acknowledged',
      { timeoutMs: 20_000 },
    );
    expect(callback).toMatchObject({ type: 4, data: { content: 'This question is no longer open.' } });

    // In a server, only a message that mentions the bot is answered.
    fake.message({ author: { id: OWNER }, channel: SERVER, content: 'server chatter, not for the bot' });
    fake.message({ author: { id: OWNER }, channel: SERVER, content: 'a server question', mentionBot: true });
    await sentText(SERVER.id, 'Server answer.', 'the server answer', first.stderr);
    expect(fake.sent(SERVER.id)).toHaveLength(1);

    // Stopped: a message sent meanwhile is not replayed by the gateway; the restart reads it with REST.
    expect(await stop(first.child, 'SIGTERM')).toBe(0);
    fake.message({ author: { id: OWNER }, content: 'sent while stopped' });
    const second = await startChannels(env);
    await sentText(dm, 'Answered after the restart.', 'the answer after the restart', second.stderr);
    expect(fake.identifies).toHaveLength(2);

    // Killed in the middle of a turn: not run again; the sender is told to send it again.
    fake.message({ author: { id: OWNER }, content: 'a slow question' });
    await pollUntil(() => askedAbout(env!, 'slow question') === 1, 'the slow turn to start', {
      timeoutMs: 20_000,
    });
    await stop(second.child, 'SIGKILL');
    const third = await startChannels(env);
    await pollUntil(
      () => fake!.sent(dm).find((m) => m.content.startsWith('Oxydra stopped while answering')),
      'the interrupted note',
      { timeoutMs: 20_000 },
    );
    fake.message({ author: { id: OWNER }, content: 'fine after the kill?' });
    await sentText(dm, 'Fine after the kill.', 'the answer after the kill', third.stderr);
    expect(await stop(third.child, 'SIGTERM')).toBe(0);

    // Counted on the fake's side: every answer once, each prompt asked of the model once.
    const texts = fake.sent(dm).map((m) => m.content);
    for (const text of [
      'The answer comes in several words, one at a time.',
      'Answered after the restart.',
      'Fine after the kill.',
    ])
      expect(texts.filter((t) => t === text)).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('Oxydra stopped while answering'))).toHaveLength(1);
    for (const words of [
      'first question',
      'server question',
      'while stopped',
      'slow question',
      'after the kill',
    ])
      expect(askedAbout(env, words)).toBe(1);
    expect(env.mock.requests).toHaveLength(5);

    // channels status, offline: what was stored, and the cursor naming the conversations to read again.
    const status = await env.run(['channels', 'status', '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).not.toContain(TOKEN);
    const reports = JSON.parse(status.stdout) as { channel: string; stats: { cursor: string } }[];
    const discord = reports.find((r) => r.channel === 'discord');
    expect(discord).toMatchObject({
      enabled: true,
      secrets: [{ key: 'bot_token_env', variable: 'TEST_DISCORD_TOKEN', set: true }],
      stats: { inbound: { answered: 4, interrupted: 1 }, unsent: 0 },
    });
    expect(Object.keys(JSON.parse(discord!.stats.cursor).c).sort()).toEqual([dm, SERVER.id].sort());
    // Three starts of the binary and five turns: past the default 30 s on a loaded machine.
  }, 90_000);

  it('oxydra run does not load discord.js; channels run loads it only with the Discord channel open', async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }], channelsToml(fake));
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const DISCORD_JS = 'The ready event has been renamed to clientReady';
    const run = await env.run(['run', 'Say hello']);
    expect(run.status, run.stderr).toBe(0);
    expect(anyContains(recorder.loaded(), DISCORD_JS)).toBe(false);
    // With the token set and Discord gone, it loads discord.js, fails, and prints no token.
    recorder.clear();
    await fake.close();
    fake = undefined;
    env.sandbox.env.TEST_DISCORD_TOKEN = TOKEN;
    const failed = await env.run(['channels', 'run']);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).not.toContain(TOKEN);
    expect(anyContains(recorder.loaded(), DISCORD_JS)).toBe(true);
  });
});
