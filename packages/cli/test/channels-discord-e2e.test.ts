/**
 * `oxydra channels run` with the real binary against the testkit's fake Discord (discord.js's
 * REST pointed at it through [channels.discord] api_url; the gateway URL is the fake's answer to
 * GET /gateway/bot) and the mock model. One process serves the tests in order (each in its own
 * channel where their state could collide; the last one stops and kills it): an allowed sender's
 * DM is answered by editing one message as it streams; a stranger gets nothing; in a server only
 * a mention is answered; a privileged call is asked with Allow/Deny buttons only its user's press
 * answers; a scheduled run's result reaches the DM; a file goes in and one comes out; a message
 * sent while no process ran is answered after the restart, once (Discord's gateway does not
 * replay it: the adapter reads it with REST); a turn cut by SIGKILL is not run again. Everything
 * is counted on the fake's side.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STREAMING_MARK } from '@oxydra/channels';
import { type DcSentMessage, FakeDiscord } from '@oxydra/testkit/discord';
import { pollUntil } from '@oxydra/testkit/helpers';
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
import { anyContains, moduleRecorder } from './module-recorder.js';

const OWNER = '400000000000000042';
const BOB = '400000000000000051';
const STRANGER = '400000000000009999';
const TOKEN = 'discord-e2e-secret-token-value';
const SERVER = { id: '500000000000000001', guildId: '500000000000000002' };
const APPROVALS = { id: '500000000000000003', guildId: SERVER.guildId };
const FILES = { id: '500000000000000004', guildId: SERVER.guildId };
const DISCORD = { env: { TEST_DISCORD_TOKEN: TOKEN }, ready: 'answering as @oxydra_test_bot' };

const channelsToml = (api: FakeDiscord) => `
[channels.discord]
enabled = true
bot_token_env = "TEST_DISCORD_TOKEN"
api_url = "${api.apiUrl}"
max_file_bytes = 4096

[[channels.discord.senders]]
platform_ids = ["${OWNER}"]
user = "alice"

[[channels.discord.senders]]
platform_ids = ["${BOB}"]
user = "bob"
`;

describe('oxydra channels run (Discord): one process, each test its own channel', () => {
  let fake: FakeDiscord;
  let env: AgentEnv;
  let run: ChannelsProcess;
  let dm: string;
  /** Waits for a message the bot sent to `channel` with exactly `text`; a timeout says what was sent and logged. */
  const sentText = (channel: string, text: string, what: string) =>
    pollExplained(
      () => fake.sent(channel).find((m) => m.content === text),
      what,
      () =>
        `sent: ${JSON.stringify(fake.sent(channel).map((m) => m.content.slice(0, 80)))}; log:\n${run.stderr()}`,
    );

  beforeAll(async () => {
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
        { match: { lastMessageContains: 'first task' }, reply: shellCall('echo approved-$((40+2))') },
        { match: { lastToolResultContains: 'approved-42' }, reply: { text: 'Ran it: approved-42.' } },
        { match: { lastMessageContains: 'the daily digest' }, reply: { text: 'Digest: all quiet.' } },
        // The scheduled runs after the first (one step answers once).
        { match: { lastMessageContains: 'another digest' }, reply: { text: 'Digest: all quiet.' } },
        {
          match: { lastMessageContains: 'inbox/discord/' },
          reply: { text: 'Read it. The summary is attached.\n[[send_file: out/summary.txt]]' },
        },
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
    askApprovals(env, 30);
    mkdirSync(join(env.workspace, 'out'));
    writeFileSync(join(env.workspace, 'out', 'summary.txt'), 'the summary\n');
    dm = fake.dmChannel(OWNER);
    run = await startChannels(env, DISCORD);
  }, 40_000);

  afterAll(async () => {
    await killChannels();
    await fake?.close();
    await env?.close();
  });

  it('streams to an allowed sender, ignores a stranger, answers only a mention in a server', async () => {
    fake.message({ author: { id: STRANGER }, content: 'hello, who are you?' });
    fake.message({ author: { id: OWNER, username: 'alice' }, content: 'my first question' });
    const answered = await sentText(
      dm,
      'The answer comes in several words, one at a time.',
      'the first answer',
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
    expect(run.stderr()).toContain(`ignoring messages from unknown sender ${STRANGER}`);
    expect(run.stderr()).not.toContain(TOKEN);

    // In a server, only a message that mentions the bot is answered.
    fake.message({ author: { id: OWNER }, channel: SERVER, content: 'server chatter, not for the bot' });
    fake.message({ author: { id: OWNER }, channel: SERVER, content: 'a server question', mentionBot: true });
    await sentText(SERVER.id, 'Server answer.', 'the server answer');
    expect(fake.sent(SERVER.id)).toHaveLength(1);
  });

  it('asks a privileged call with Allow/Deny buttons: only its user may answer, Allow runs it, a late press is told', async () => {
    fake.message({ author: { id: OWNER }, channel: APPROVALS, content: 'my first task', mentionBot: true });
    const question = await pollExplained(
      () => fake.sent(APPROVALS.id).find((m) => m.components !== undefined && m.components.length > 0),
      'the question',
      run.stderr,
    );
    expect(question.content).toContain('shell_exec');
    expect(question.content).toContain('echo approved-$((40+2))');
    const buttons = (question.components as { components: { label: string; custom_id: string }[] }[])[0]!
      .components;
    expect(buttons.map((b) => b.label)).toEqual(['Allow', 'Deny']);
    const press = async (user: string, customId: string) => {
      const id = fake.press({
        user: { id: user },
        channelId: APPROVALS.id,
        messageId: question.id,
        customId,
      });
      const callback = await pollExplained(
        () => fake.callbacks.find((c) => c.interactionId === id),
        'the press answered',
        run.stderr,
      );
      return (callback.data as { content?: string } | undefined)?.content;
    };
    // Bob may talk to the bot, but this is Alice's question: his press is noted and changes nothing.
    expect(await press(BOB, buttons[0]!.custom_id)).toBe(
      'Only the person whose message asked for this can answer it.',
    );
    expect(await press(OWNER, buttons[0]!.custom_id)).toBe('Allowed.');
    await sentText(APPROVALS.id, 'Ran it: approved-42.', 'the answer after Allow');
    await pollUntil(() => question.content.endsWith('→ Allowed.'), 'the question closed');
    expect(JSON.stringify(env.mock.requests.at(-1)!.body)).toContain('approved-42');
    expect(await press(OWNER, buttons[1]!.custom_id)).toBe('This question is no longer open.');
    // One turn, two model calls (the call, then the answer with its result): nothing ran twice.
    expect(askedAbout(env, 'first task')).toBe(2);
  });

  it("a scheduled run's result reaches the DM its schedule names, once", async () => {
    // The DM is a chat where alice has talked to the bot (the first test); the run is another process.
    await runScheduleTo(env, {
      user: 'alice',
      name: 'digest',
      notify: `discord:${dm}`,
      prompt: 'the daily digest',
    });
    await sentText(dm, 'Scheduled "digest":\nDigest: all quiet.', 'the scheduled result');
    expect(fake.sent(dm).filter((m) => m.content.startsWith('Scheduled "digest"'))).toHaveLength(1);
    // Bob never wrote to the bot: his own id names his DM, which the channel opens (POST users/@me/channels).
    await runScheduleTo(env, {
      user: 'bob',
      name: 'bobs',
      notify: `discord:${BOB}`,
      prompt: 'another digest',
    });
    await sentText(fake.dmChannel(BOB), 'Scheduled "bobs":\nDigest: all quiet.', "bob's result in his DM");
    expect(fake.sent(BOB)).toEqual([]);
  });

  it('a file round-trips: saved under inbox/discord/ and named to the model; [[send_file]] attached back; too large refused', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
    fake.message({
      author: { id: OWNER },
      channel: FILES,
      content: 'what does it say?',
      mentionBot: true,
      files: [{ name: '../../etc/Q3 report.pdf', bytes: pdf, contentType: 'application/pdf' }],
    });
    await sentText(FILES.id, 'Read it. The summary is attached.', 'the answer');
    const out = await pollExplained(
      () => fake.sent(FILES.id).find((m: DcSentMessage) => m.files.length > 0),
      'the file sent back',
      run.stderr,
    );
    expect(out.files.map((f) => f.name)).toEqual(['summary.txt']);
    expect(Buffer.from(out.files[0]!.bytes).toString()).toBe('the summary\n');
    // The model was told where the file is; it is there, byte for byte, under a safe name.
    const prompt = env.mock.requests.find((r) => r.raw.includes('what does it say?'))!.raw;
    const path = /inbox\/discord\/[^ "\\]+/.exec(prompt)![0];
    expect(path).toMatch(/^inbox\/discord\/[\w.-]*Q3_report\.pdf$/);
    expect(readFileSync(join(env.workspace, path))).toEqual(pdf);
    // A file past max_file_bytes is refused and never downloaded.
    const downloads = () => fake.calls.filter((c) => c.path.startsWith('/cdn')).length;
    const before = downloads();
    fake.message({
      author: { id: OWNER },
      channel: FILES,
      content: 'and this?',
      mentionBot: true,
      files: [{ name: 'big.bin', bytes: Buffer.alloc(5000, 1) }],
    });
    await pollExplained(
      () => fake.sent(FILES.id).find((m) => m.content.includes('"big.bin" was not taken')),
      'the size refusal',
      run.stderr,
    );
    expect(downloads()).toBe(before);
    expect(askedAbout(env, 'and this?')).toBe(0);
  });

  it('answers each message once across a restart and a SIGKILL; channels status counts it', async () => {
    // Stopped: a message sent meanwhile is not replayed by the gateway; the restart reads it with REST.
    expect(await run.stop('SIGTERM')).toBe(0);
    fake.message({ author: { id: OWNER }, content: 'sent while stopped' });
    run = await startChannels(env, DISCORD);
    await sentText(dm, 'Answered after the restart.', 'the answer after the restart');
    expect(fake.identifies).toHaveLength(2);

    // Killed in the middle of a turn: not run again; the sender is told to send it again.
    fake.message({ author: { id: OWNER }, content: 'a slow question' });
    await pollUntil(() => askedAbout(env, 'slow question') === 1, 'the slow turn to start', {
      timeoutMs: 20_000,
    });
    await run.stop('SIGKILL');
    run = await startChannels(env, DISCORD);
    await pollUntil(
      () => fake.sent(dm).find((m) => m.content.startsWith('Oxydra stopped while answering')),
      'the interrupted note',
      { timeoutMs: 20_000 },
    );
    fake.message({ author: { id: OWNER }, content: 'fine after the kill?' });
    await sentText(dm, 'Fine after the kill.', 'the answer after the kill');
    expect(await run.stop('SIGTERM')).toBe(0);

    // Counted on the fake's side: every answer once, each prompt asked of the model once.
    const texts = fake.sent().map((m) => m.content);
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts.filter((t) => t.startsWith('Oxydra stopped while answering'))).toHaveLength(1);
    for (const words of [
      'first question',
      'server question',
      'while stopped',
      'slow question',
      'after the kill',
    ])
      expect(askedAbout(env, words)).toBe(1);

    // channels status, offline: what was stored, and the cursor naming the conversations to read again.
    const status = await env.run(['channels', 'status', '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).not.toContain(TOKEN);
    const reports = JSON.parse(status.stdout) as { channel: string; stats: { cursor: string } }[];
    const discord = reports.find((r) => r.channel === 'discord');
    expect(discord).toMatchObject({
      enabled: true,
      secrets: [{ key: 'bot_token_env', variable: 'TEST_DISCORD_TOKEN', set: true }],
      stats: { inbound: { interrupted: 1 }, unsent: 0 },
    });
    expect(Object.keys(JSON.parse(discord!.stats.cursor).c).sort()).toEqual(
      [dm, SERVER.id, APPROVALS.id, FILES.id].sort(),
    );
  }, 60_000);
});

describe('oxydra channels run (Discord): loading', () => {
  let env: AgentEnv | undefined;
  let fake: FakeDiscord | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await env?.close();
    env = undefined;
  });

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
