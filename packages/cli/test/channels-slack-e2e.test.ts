/**
 * `oxydra channels run` with the real binary against the testkit's fake Slack (Bolt's WebClient
 * pointed at it through [channels.slack] api_url) and the mock model, both ways Slack delivers.
 * Socket Mode, one process serving every test in order (each in its own chat where their state
 * could collide; the last one kills it): an allowed sender's DM answered by editing one message
 * as it streams, a stranger ignored, a mention in a channel answered once although Slack sends it
 * twice; a privileged call asked with Allow/Deny buttons that only its user's press answers; a
 * scheduled run's result delivered to the DM; a file in and a file out; a SIGKILL mid-turn
 * answering nothing twice. The Events API over HTTP: forged signatures refused by Bolt, a signed
 * event answered. Counted on the fake's side.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STREAMING_MARK } from '@oxydra/channels';
import { freePort, pollUntil } from '@oxydra/testkit/helpers';
import { FakeSlack, postSignedToApp, type SlackSentMessage } from '@oxydra/testkit/slack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import {
  askApprovals,
  askedAbout,
  type ChannelsProcess,
  killChannels,
  pollExplained,
  runScheduleTo,
  shellCall,
  startChannels,
} from './channels-run.js';

const OWNER = 'U0OWNER01';
const BOB = 'U0BOB0001';
const STRANGER = 'U0STRANGE';
const BOT_TOKEN = 'xoxb-1111-2222-e2e-secret-bot-token';
const APP_TOKEN = 'xapp-1-A0FAKE-3333-e2e-secret-app-token';
const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
const SLACK = {
  env: {
    TEST_SLACK_BOT_TOKEN: BOT_TOKEN,
    TEST_SLACK_APP_TOKEN: APP_TOKEN,
    TEST_SLACK_SIGNING_SECRET: SIGNING_SECRET,
  },
  ready: 'slack: answering as @oxydra',
};

function slackToml(api: FakeSlack, http?: { port: number }): string {
  return `
[channels.slack]
enabled = true
bot_token_env = "TEST_SLACK_BOT_TOKEN"
api_url = "${api.apiUrl}"
max_file_bytes = 4096
${
  http
    ? `mode = "http"\nsigning_secret_env = "TEST_SLACK_SIGNING_SECRET"\nlisten_port = ${http.port}\nlisten_path = "/slack/events"`
    : 'app_token_env = "TEST_SLACK_APP_TOKEN"'
}

[[channels.slack.senders]]
platform_ids = ["${OWNER}"]
display_name = "Owner"
user = "alice"

[[channels.slack.senders]]
platform_ids = ["${BOB}"]
user = "bob"
`;
}

const secretsIn = (text: string) => [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET].filter((s) => text.includes(s));

describe('oxydra channels run (Slack, Socket Mode): one process, each test its own chat', () => {
  let fake: FakeSlack;
  let env: AgentEnv;
  let run: ChannelsProcess;
  const dm = `D${OWNER}`;
  /** Waits for a message the bot sent to `channel` with exactly `text`; a timeout says what was sent and logged. */
  const sentText = (channel: string, text: string, what: string) =>
    pollExplained(
      () => fake.sent(channel).find((m) => m.text === text),
      what,
      () =>
        `sent: ${JSON.stringify(fake.sent().map((m) => `${m.channel}: ${m.text.slice(0, 80)}`))}; log:\n${run.stderr()}`,
    );

  beforeAll(async () => {
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
        { match: { lastMessageContains: 'first task' }, reply: shellCall('echo approved-$((40+2))') },
        { match: { lastToolResultContains: 'approved-42' }, reply: { text: 'Ran it: approved-42.' } },
        { match: { lastMessageContains: 'the daily digest' }, reply: { text: 'Digest: all quiet.' } },
        // The scheduled runs after the first (one step answers once).
        { match: { lastMessageContains: 'another digest' }, reply: { text: 'Digest: all quiet.' } },
        {
          match: { lastMessageContains: 'inbox/slack/' },
          reply: { text: 'Read it. The summary is attached.\n[[send_file: out/summary.txt]]' },
        },
        {
          match: { lastMessageContains: 'slow question' },
          reply: { text: 'This answer is never finished.', textChunks: 6 },
          fault: { slowChunksMs: 2000 },
        },
        { match: { lastMessageContains: 'after restart' }, reply: { text: 'Fine after restart.' } },
      ],
      slackToml(fake),
    );
    askApprovals(env, 30);
    mkdirSync(join(env.workspace, 'out'));
    writeFileSync(join(env.workspace, 'out', 'summary.txt'), 'the summary\n');
    run = await startChannels(env, SLACK);
  }, 40_000);

  afterAll(async () => {
    await killChannels();
    await fake?.close();
    await env?.close();
  });

  it('streams to an allowed sender, ignores a stranger, answers a mention once, takes /new', async () => {
    fake.message({ user: STRANGER, text: 'hello, who are you?' });
    fake.message({ user: OWNER, text: 'my first question' });
    const answered = await sentText(
      dm,
      'The answer comes in several words, one at a time.',
      'the first answer',
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
    expect(run.stderr()).toContain(`ignoring messages from unknown sender ${STRANGER}`);

    // In a channel: chatter ignored; a mention (a message event and an app_mention) answered once, mention removed.
    fake.message({ user: OWNER, channel: 'C0TEAM001', text: 'lunch, anyone?' });
    fake.message({ user: OWNER, channel: 'C0TEAM001', text: `<@${fake.botUserId}> a channel question` });
    await sentText('C0TEAM001', 'Channel answer.', 'the channel answer');
    expect(fake.sent('C0TEAM001')).toHaveLength(1);

    // /new, typed as Slack's slash command, starts a new conversation.
    fake.command({ user: OWNER, command: '/new' });
    await sentText(dm, 'Started a new conversation.', '/new');
  });

  it('asks a privileged call with Allow/Deny buttons: only its user may answer, Allow runs it, a late press is told', async () => {
    const team = 'C0APPROVE';
    const ask = (text: string) =>
      fake.message({ user: OWNER, channel: team, text: `<@${fake.botUserId}> ${text}` });
    const question = (n: number) =>
      pollExplained(
        () => fake.sent(team).filter((m) => m.blocks !== undefined)[n],
        `question ${n}`,
        () => run.stderr(),
      );
    const buttons = (m: SlackSentMessage) =>
      (m.blocks![1] as { elements: { text: { text: string }; value: string }[] }).elements;
    const note = async (user: string, n: number) =>
      (
        await pollExplained(
          () => fake.ephemerals(team).filter((e) => e.user === user)[n],
          `note ${n} to ${user}`,
          run.stderr,
        )
      ).text;

    ask('first task');
    const first = await question(0);
    expect(first.text).toContain('shell_exec');
    expect(first.text).toContain('echo approved-$((40+2))');
    const [allow, deny] = buttons(first);
    expect([allow!.text.text, deny!.text.text]).toEqual(['Allow', 'Deny']);
    // Bob may talk to the bot, but this is Alice's question: his press is noted and changes nothing.
    fake.press({ user: BOB, message: first, value: allow!.value });
    expect(await note(BOB, 0)).toBe('Only the person whose message asked for this can answer it.');
    fake.press({ user: OWNER, message: first, value: allow!.value });
    expect(await note(OWNER, 0)).toBe('Allowed.');
    await sentText(team, 'Ran it: approved-42.', 'the answer after Allow');
    await pollUntil(() => first.text.endsWith('→ Allowed.'), 'the question closed');
    expect(JSON.stringify(env.mock.requests.at(-1)!.body)).toContain('approved-42');
    // A press on a question already answered is told so.
    fake.press({ user: OWNER, message: first, value: deny!.value });
    expect(await note(OWNER, 1)).toBe('This question is no longer open.');
    // One turn, two model calls (the call, then the answer with its result): nothing ran twice.
    expect(askedAbout(env, 'first task')).toBe(2);
  });

  it("a scheduled run's result reaches the DM its schedule names, once", async () => {
    // The DM is a chat where alice has talked to the bot (the first test); the run is another process.
    await runScheduleTo(env, {
      user: 'alice',
      name: 'digest',
      notify: `slack:${dm}`,
      prompt: 'the daily digest',
    });
    await sentText(dm, 'Scheduled "digest":\nDigest: all quiet.', 'the scheduled result');
    expect(fake.sent(dm).filter((m) => m.text.startsWith('Scheduled "digest"'))).toHaveLength(1);
    // Bob never wrote to the bot: his own id names his DM, which the channel opens (conversations.open).
    await runScheduleTo(env, { user: 'bob', name: 'bobs', notify: `slack:${BOB}`, prompt: 'another digest' });
    await sentText(`D${BOB}`, 'Scheduled "bobs":\nDigest: all quiet.', "bob's result in his DM");
    const opened = fake.calls.filter((c) => c.method === 'conversations.open');
    expect(opened.map((c) => [c.params.users, c.ok])).toEqual([[BOB, true]]);
    expect(fake.sent(BOB)).toEqual([]);
  });

  it('a file round-trips: saved under inbox/slack/ and named to the model; [[send_file]] uploaded back; too large refused', async () => {
    const files = 'C0FILES01';
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
    const file = fake.addFile({ name: '../../etc/Q3 report.pdf', mimetype: 'application/pdf', bytes: pdf });
    fake.message({
      user: OWNER,
      channel: files,
      text: `<@${fake.botUserId}> what does it say?`,
      files: [file],
    });
    await sentText(files, 'Read it. The summary is attached.', 'the answer');
    const [out] = await pollExplained(
      () => fake.uploads(files).length > 0 && fake.uploads(files),
      'the file sent back',
      run.stderr,
    );
    expect(out).toMatchObject({ name: 'summary.txt' });
    expect(out!.bytes.toString()).toBe('the summary\n');
    // The model was told where the file is; it is there, byte for byte, under a safe name.
    const prompt = env.mock.requests.find((r) => r.raw.includes('what does it say?'))!.raw;
    const path = /inbox\/slack\/[^ "\\]+/.exec(prompt)![0];
    expect(path).toMatch(/^inbox\/slack\/[\w.-]*Q3_report\.pdf$/);
    expect(readFileSync(join(env.workspace, path))).toEqual(pdf);
    // A file past max_file_bytes is refused and never downloaded.
    const downloads = fake.calls.filter((c) => c.method === 'files-pri').length;
    const big = fake.addFile({
      name: 'big.bin',
      mimetype: 'application/octet-stream',
      bytes: Buffer.alloc(5000, 1),
    });
    fake.message({ user: OWNER, channel: files, text: `<@${fake.botUserId}> and this?`, files: [big] });
    await pollExplained(
      () => fake.sent(files).find((m) => m.text.includes('"big.bin" was not taken')),
      'the size refusal',
      run.stderr,
    );
    expect(fake.calls.filter((c) => c.method === 'files-pri')).toHaveLength(downloads);
    expect(existsSync(join(env.workspace, 'inbox', 'slack'))).toBe(true);
    expect(askedAbout(env, 'and this?')).toBe(0);
  });

  it('a turn cut by SIGKILL is not run again after the restart; nothing was answered twice', async () => {
    fake.message({ user: OWNER, text: 'a slow question' });
    await pollUntil(() => askedAbout(env, 'slow question') === 1, 'the slow turn', { timeoutMs: 20_000 });
    await run.stop('SIGKILL');
    run = await startChannels(env, SLACK);
    await pollUntil(
      () => fake.sent(dm).find((m) => m.text.startsWith('Oxydra stopped while answering')),
      'the interrupted note',
      { timeoutMs: 20_000 },
    );
    fake.message({ user: OWNER, text: 'fine after restart?' });
    await sentText(dm, 'Fine after restart.', 'the answer after restart');
    // Nothing twice: every question reached the model once, every answer (and the digest) was sent once.
    expect(
      ['first question', 'channel question', 'slow question', 'after restart'].map((q) => askedAbout(env, q)),
    ).toEqual([1, 1, 1, 1]);
    const texts = fake.sent().map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
    // Every envelope was acknowledged (each after it was stored), and no secret was printed.
    await pollUntil(() => fake.unacked.length === 0, 'every envelope acknowledged');
    expect(secretsIn(run.stderr())).toEqual([]);
    expect(await run.stop('SIGTERM')).toBe(0);
  }, 40_000);
});

describe('oxydra channels run (Slack, Events API and configuration)', () => {
  let env: AgentEnv | undefined;
  let fake: FakeSlack | undefined;
  afterEach(async () => {
    await killChannels();
    await fake?.close();
    fake = undefined;
    await env?.close();
    env = undefined;
  });

  it('Events API over HTTP: forged and stale requests refused, a signed event answered once', async () => {
    fake = await FakeSlack.start({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    const port = await freePort();
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ match: { lastMessageContains: 'http question' }, reply: { text: 'HTTP answer.' } }],
      slackToml(fake, { port }),
    );
    const run = await startChannels(env, SLACK);
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
    await pollExplained(
      () => fake!.sent(`D${OWNER}`).find((m) => m.text === 'HTTP answer.'),
      'the http answer',
      run.stderr,
    );
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
