/**
 * `oxydra channels run` with the real binary against the testkit's fake Slack (Bolt's WebClient
 * pointed at it through [channels.slack] api_url) and the mock model, both ways Slack delivers:
 * Socket Mode (an allowed sender's DM answered by editing one message as it streams, a stranger
 * ignored, a mention in a channel answered once although Slack sends it twice, a button press
 * reaching the host, a SIGKILL mid-turn answering nothing twice) and the Events API over HTTP
 * (forged signatures refused by Bolt, a signed event answered). Counted on the fake's side.
 */

import type { ChildProcess } from 'node:child_process';
import { STREAMING_MARK } from '@oxydra/channels';
import { freePort, pollUntil } from '@oxydra/testkit/helpers';
import { FakeSlack, postSignedToApp } from '@oxydra/testkit/slack';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const OWNER = 'U0OWNER01';
const STRANGER = 'U0STRANGE';
const BOT_TOKEN = 'xoxb-1111-2222-e2e-secret-bot-token';
const APP_TOKEN = 'xapp-1-A0FAKE-3333-e2e-secret-app-token';
const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';

let env: AgentEnv | undefined;
let fake: FakeSlack | undefined;
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

function slackToml(api: FakeSlack, http?: { port: number }): string {
  return `
[channels.slack]
enabled = true
bot_token_env = "TEST_SLACK_BOT_TOKEN"
api_url = "${api.apiUrl}"
${
  http
    ? `mode = "http"\nsigning_secret_env = "TEST_SLACK_SIGNING_SECRET"\nlisten_port = ${http.port}\nlisten_path = "/slack/events"`
    : 'app_token_env = "TEST_SLACK_APP_TOKEN"'
}

[[channels.slack.senders]]
platform_ids = ["${OWNER}"]
display_name = "Owner"
user = "alice"
`;
}

/** Starts `oxydra channels run`; resolves once it says it is answering. */
async function startChannels(agent: AgentEnv): Promise<{ child: ChildProcess; stderr: () => string }> {
  Object.assign(agent.sandbox.env, {
    TEST_SLACK_BOT_TOKEN: BOT_TOKEN,
    TEST_SLACK_APP_TOKEN: APP_TOKEN,
    TEST_SLACK_SIGNING_SECRET: SIGNING_SECRET,
  });
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
      return stderr.includes('slack: answering as @oxydra');
    },
    'channels run to start',
    { timeoutMs: 20_000 },
  );
  return { child, stderr: () => stderr };
}

/** Waits for a message the bot sent to `channel` with exactly `text`; a timeout says what was sent and logged. */
async function sentText(channel: string, text: string, what: string, log: () => string) {
  try {
    return await pollUntil(() => fake!.sent(channel).find((m) => m.text === text), what, {
      timeoutMs: 20_000,
    });
  } catch (error) {
    const sent = fake!.sent().map((m) => `${m.channel}: ${m.text.slice(0, 80)}`);
    throw new Error(`${(error as Error).message}; sent: ${JSON.stringify(sent)}; log:\n${log()}`);
  }
}

/** The last user message a model request carried (what the turn asked; earlier turns ride along). */
const lastUser = (r: { body: unknown }) =>
  (r.body as { messages: { role: string; content: unknown }[] }).messages
    .filter((m) => m.role === 'user')
    .at(-1);

const secretsIn = (text: string) => [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET].filter((s) => text.includes(s));

describe('oxydra channels run (Slack)', () => {
  it('Socket Mode: streams to an allowed sender, ignores a stranger, answers a mention once, takes a press, survives SIGKILL', async () => {
    fake = await FakeSlack.start({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        {
          match: { lastMessageContains: 'first question' },
          reply: { text: 'The answer comes in several words, one at a time.', textChunks: 5 },
          fault: { slowChunksMs: 400 },
        },
        { match: { lastMessageContains: 'channel question' }, reply: { text: 'Channel answer.' } },
        {
          match: { lastMessageContains: 'slow question' },
          reply: { text: 'This answer is never finished.', textChunks: 6 },
          fault: { slowChunksMs: 2000 },
        },
        { match: { lastMessageContains: 'after restart' }, reply: { text: 'Fine after restart.' } },
      ],
      slackToml(fake),
    );
    const first = await startChannels(env);
    const dm = `D${OWNER}`;

    fake.message({ user: STRANGER, text: 'hello, who are you?' });
    fake.message({ user: OWNER, text: 'my first question' });
    const answered = await sentText(
      dm,
      'The answer comes in several words, one at a time.',
      'the first answer',
      first.stderr,
    );
    // One message, edited by chat.update: the placeholder, parts of the answer as it streamed, the whole.
    expect(fake.sent(dm)).toHaveLength(1);
    expect(answered.history[0]).toBe('…');
    const partial = answered.history.slice(1, -1);
    expect(partial.length).toBeGreaterThanOrEqual(1);
    // Each streamed edit ends with the mark that says the answer is not done yet.
    for (const text of partial) {
      expect(text.endsWith(STREAMING_MARK)).toBe(true);
      expect(answered.text.startsWith(text.slice(0, -STREAMING_MARK.length))).toBe(true);
    }
    expect(
      fake.calls.filter((c) => c.method === 'chat.postMessage' && c.params.unfurl_links !== 'false'),
    ).toEqual([]);
    // The stranger got nothing and is logged once.
    expect(fake.sent(`D${STRANGER}`)).toEqual([]);
    expect(first.stderr()).toContain(`ignoring messages from unknown sender ${STRANGER}`);

    // In a channel: chatter ignored; a mention (a message event and an app_mention) answered once, mention removed.
    fake.message({ user: OWNER, channel: 'C0TEAM001', text: 'lunch, anyone?' });
    fake.message({ user: OWNER, channel: 'C0TEAM001', text: `<@${fake.botUserId}> a channel question` });
    await sentText('C0TEAM001', 'Channel answer.', 'the channel answer', first.stderr);
    expect(fake.sent('C0TEAM001')).toHaveLength(1);

    // /new, typed as Slack's slash command, starts a new conversation.
    fake.command({ user: OWNER, command: '/new' });
    await sentText(dm, 'Started a new conversation.', '/new', first.stderr);

    // A press of a button reaches the host, which answers the presser (no question is open).
    fake.press({ user: OWNER, message: answered, value: 'allow' });
    await pollUntil(() => fake!.ephemerals(dm).find((e) => e.user === OWNER), 'the answer to the press', {
      timeoutMs: 10_000,
    });
    expect(fake.ephemerals(dm)[0]!.text).toBe('This question is no longer open.');

    // Killed in the middle of a turn: after the restart it is not run again; the sender is told.
    fake.message({ user: OWNER, text: 'a slow question' });
    await pollUntil(() => env!.mock.requests.some((r) => r.raw.includes('slow question')), 'the slow turn', {
      timeoutMs: 20_000,
    });
    const killed = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await killed;
    const second = await startChannels(env);
    await pollUntil(
      () => fake!.sent(dm).find((m) => m.text.startsWith('Oxydra stopped while answering')),
      'the interrupted note',
      { timeoutMs: 20_000 },
    );
    fake.message({ user: OWNER, text: 'fine after restart?' });
    await sentText(dm, 'Fine after restart.', 'the answer after restart', second.stderr);
    // Nothing twice: every question reached the model once, every answer was sent once.
    const asked = (q: string) =>
      env!.mock.requests.filter((r) => JSON.stringify(lastUser(r)).includes(q)).length;
    expect(['first question', 'channel question', 'slow question', 'after restart'].map(asked)).toEqual([
      1, 1, 1, 1,
    ]);
    const texts = fake.sent().map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
    // Every envelope was acknowledged (each after it was stored), and no secret was printed.
    await pollUntil(() => fake!.unacked.length === 0, 'every envelope acknowledged');
    expect(secretsIn(first.stderr() + second.stderr())).toEqual([]);
    const exited = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('Events API over HTTP: forged and stale requests refused, a signed event answered once', async () => {
    fake = await FakeSlack.start({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    const port = await freePort();
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ match: { lastMessageContains: 'http question' }, reply: { text: 'HTTP answer.' } }],
      slackToml(fake, { port }),
    );
    const run = await startChannels(env);
    const url = `http://127.0.0.1:${port}/slack/events`;
    const forgedBody = {
      type: 'event_callback',
      team_id: fake.teamId,
      event_id: 'Ev0FORGED01',
      event: {
        type: 'message',
        channel: `D${OWNER}`,
        channel_type: 'im',
        user: OWNER,
        text: 'forged http question',
        ts: '1.000001',
      },
    };
    expect(
      (await postSignedToApp(url, SIGNING_SECRET, forgedBody, { secret: 'guessed-secret' })).status,
    ).toBe(401);
    const stale = await postSignedToApp(url, SIGNING_SECRET, forgedBody, {
      timestampSecs: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(stale.status).toBe(401);
    const challenge = await postSignedToApp(url, SIGNING_SECRET, {
      type: 'url_verification',
      challenge: 'ch-42',
    });
    expect(await challenge.text()).toContain('ch-42');

    fake.deliverTo(url, SIGNING_SECRET);
    const { eventIds } = fake.message({ user: OWNER, text: 'an http question' });
    await sentText(`D${OWNER}`, 'HTTP answer.', 'the http answer', run.stderr);
    // Slack retrying the same event (as after a timeout) gets a 200 and no second answer.
    const retried = await postSignedToApp(url, SIGNING_SECRET, fake.delivered(eventIds[0]!)!, {
      retryNum: 1,
    });
    expect(retried.status).toBe(200);
    expect(fake.posts.find((p) => p.eventId === eventIds[0])?.status).toBe(200);
    expect(env.mock.requests.filter((r) => r.raw.includes('http question'))).toHaveLength(1);
    expect(fake.sent(`D${OWNER}`)).toHaveLength(1);
    expect(secretsIn(run.stderr())).toEqual([]);
  }, 40_000);

  it('refuses to start in Socket Mode without the app token variable, naming it, exit 2', async () => {
    fake = await FakeSlack.start({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    env = await AgentEnv.start(E2E_APIS[0]!, [], slackToml(fake));
    env.sandbox.env.TEST_SLACK_BOT_TOKEN = BOT_TOKEN;
    const out = await env.run(['channels', 'run']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('TEST_SLACK_APP_TOKEN');
    expect(out.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(fake.calls).toEqual([]);
  });
});
