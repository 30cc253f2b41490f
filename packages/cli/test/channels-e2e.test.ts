/**
 * `oxydra channels run` with the real binary against the testkit's fake Telegram Bot API
 * (grammY pointed at it through [channels.telegram] api_root) and the mock model. One process
 * serves the first tests in order (each sender or group its own chat where their state could
 * collide; restarts replace it): an allowed sender's message is answered by editing one message
 * as the answer streams; a stranger gets nothing; a restart neither answers a message twice nor
 * loses one accepted before it; a scheduled run's result reaches its chat once; /new starts
 * another session; a long answer is split; a 429 is waited out; /stop; a killed turn is not run
 * again; a file goes in and one comes out; a privileged call is asked with buttons only its user
 * may press, /cost and /undo. Pairing, the webhook and the configuration checks are in
 * channels-telegram-modes-e2e.test.ts (each its own configuration).
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STREAMING_MARK } from '@oxydra/channels';
import { pollUntil } from '@oxydra/testkit/helpers';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import {
  askApprovals,
  askedAbout,
  type ChannelsProcess,
  killChannels,
  lastUser,
  pollExplained,
  shellCall,
} from './channels-run.js';
import { channelsToml, OWNER, STRANGER, sentTextOn, startChannels, TOKEN } from './channels-telegram.js';

const BOB = 5151;
const CAROL = 6161;

describe('oxydra channels run (Telegram): one process serving the tests in order', () => {
  let api: FakeBotApi;
  let env: AgentEnv;
  let run: ChannelsProcess;
  const sentText = sentTextOn(() => api);
  const long = Array.from(
    { length: 20 },
    (_, i) => `Paragraph ${i}: ${'lorem ipsum '.repeat(40).trim()}.`,
  ).join('\n\n');
  // Carol's calls are priced (the catalog's gpt-4o-mini), so /cost has something to add up.
  const usage = { input: 100_000, output: 10_000 };

  beforeAll(async () => {
    api = await FakeBotApi.start({ token: TOKEN });
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        {
          match: { lastMessageContains: 'first question' },
          reply: { text: 'The answer comes in several words, one at a time.', textChunks: 5 },
          fault: { slowChunksMs: 300 },
        },
        { match: { lastMessageContains: 'second question' }, reply: { text: 'Second answer.' } },
        { match: { lastMessageContains: 'third question' }, reply: { text: 'Third answer.' } },
        { match: { lastMessageContains: 'group question' }, reply: { text: 'Group answer.' } },
        { match: { lastMessageContains: 'the daily digest' }, reply: { text: 'Digest: all quiet.' } },
        // The operator's scheduled run.
        { match: { lastMessageContains: 'another digest' }, reply: { text: 'Digest: all quiet.' } },
        { match: { lastMessageContains: 'after the digest' }, reply: { text: 'Hello again.' } },
        { match: { lastMessageContains: 'remember the word kiwi' }, reply: { text: 'Noted: kiwi.' } },
        { match: { lastMessageContains: 'write a lot' }, reply: { text: long } },
        {
          match: { lastMessageContains: 'stoppable question' },
          reply: { text: 'This answer is stopped half way.', textChunks: 6 },
          fault: { slowChunksMs: 2000 },
        },
        {
          match: { lastMessageContains: 'slow question' },
          reply: { text: 'This answer is never finished.', textChunks: 6 },
          fault: { slowChunksMs: 2000 },
        },
        { match: { lastMessageContains: 'after restart' }, reply: { text: 'Fine after restart.' } },
        {
          match: { lastMessageContains: 'inbox/telegram/' },
          reply: { text: 'Read it. The summary is attached.\n[[send_file: out/summary.txt]]' },
        },
        {
          match: { lastMessageContains: 'first task' },
          reply: { ...shellCall('echo approved-$((40+2)) | tee approved.txt'), usage },
        },
        { match: { lastToolResultContains: 'approved-42' }, reply: { text: 'Ran it: approved-42.', usage } },
        { match: { lastMessageContains: 'second task' }, reply: shellCall('echo never-$((1+1))') },
        // The turn after the unanswered question (its tool result says it was denied).
        { reply: { text: 'It was not run.' } },
      ],
      channelsToml(
        api,
        '\nmax_file_bytes = 4096',
        [BOB, CAROL]
          .map(
            (id) =>
              `\n[[channels.telegram.senders]]\nplatform_ids = ["${id}"]\nuser = "${id === BOB ? 'bob' : 'carol'}"\n`,
          )
          .join('') + `\n[budgets.users.carol]\ndaily_usd = 2\n\n[scheduler]\nnotify = "telegram:${OWNER}"\n`,
      ),
    );
    // Privileged tools ask; an unanswered question is denied after 3 s.
    askApprovals(env, 3);
    mkdirSync(join(env.workspace, 'out'));
    writeFileSync(join(env.workspace, 'out', 'summary.txt'), 'the summary\n');
    run = await startChannels(env);
  }, 40_000);

  afterAll(async () => {
    await killChannels();
    await api?.close();
    await env?.close();
  });

  it('streams an answer to an allowed sender by editing one message, ignores a stranger, survives a restart', async () => {
    api.message({ from: { id: STRANGER }, text: 'hello, who are you?' });
    api.message({ from: { id: OWNER, first_name: 'Alice' }, text: 'my first question' });
    const answered = await sentText(
      OWNER,
      'The answer comes in several words, one at a time.',
      'the first answer',
      run.stderr,
    );
    // One message, edited: the placeholder, at least one part of the answer as it streamed, the whole.
    expect(api.sent(OWNER)).toHaveLength(1);
    expect(answered.history[0]).toBe('…');
    const partial = answered.history.slice(1, -1);
    expect(partial.length).toBeGreaterThanOrEqual(1);
    // Each streamed edit ends with the mark that says the answer is not done yet.
    for (const text of partial) {
      expect(text.endsWith(STREAMING_MARK)).toBe(true);
      expect(answered.text.startsWith(text.slice(0, -STREAMING_MARK.length))).toBe(true);
    }
    // No link previews on anything sent; the stranger got nothing, and is logged once.
    const sends = api.calls.filter((c) => c.method === 'sendMessage' || c.method === 'editMessageText');
    expect(
      sends.every((c) => (c.params.link_preview_options as { is_disabled?: boolean })?.is_disabled),
    ).toBe(true);
    expect(api.sent(STRANGER)).toEqual([]);
    expect(run.stderr()).toContain(`ignoring messages from unknown sender ${STRANGER}`);
    // The model saw the prompt once, and the token is nowhere in what the process printed.
    expect(env.mock.requests).toHaveLength(1);
    expect(run.stderr()).not.toContain(TOKEN);

    // A restart: nothing answered twice (the cursor is durable), a message sent meanwhile answered once.
    expect(await run.stop('SIGTERM')).toBe(0);
    api.message({ from: { id: OWNER }, text: 'my second question' });
    run = await startChannels(env);
    await sentText(OWNER, 'Second answer.', 'the second answer', run.stderr);
    api.message({ from: { id: OWNER }, text: 'my third question' });
    await sentText(OWNER, 'Third answer.', 'the third answer', run.stderr);
    expect(api.sent(OWNER).map((m) => m.text)).toEqual([
      'The answer comes in several words, one at a time.',
      'Second answer.',
      'Third answer.',
    ]);
    expect(env.mock.requests).toHaveLength(3);
    // The restarted process asked for what follows its stored cursor, confirming everything before.
    const polls = api.calls.filter((c) => c.method === 'getUpdates');
    expect(polls.every((c) => c.params.offset !== undefined || c === polls[0])).toBe(true);
    await pollUntil(() => api.pendingUpdates === 0, 'every update to be confirmed', { timeoutMs: 10_000 });
    // The second and third turns continued the first one's session: the model saw the first answer.
    expect(env.requestText(2)).toContain('The answer comes in several words');

    // In a group, only a message that mentions the bot is answered (without the mention).
    const team = { id: -500, type: 'supergroup' as const, title: 'Team' };
    api.message({ from: { id: OWNER }, chat: team, text: 'group chatter, not for the bot' });
    const last = api.message({
      from: { id: OWNER },
      chat: team,
      text: '@oxydra_test_bot a group question',
      mentionBot: true,
    });
    await sentText(team.id, 'Group answer.', 'the group answer', run.stderr);
    expect(api.sent(team.id)).toHaveLength(1);
    expect(env.mock.requests).toHaveLength(4);
    expect(lastUser(env.mock.requests[3]!)).toEqual({ role: 'user', content: 'a group question' });
    await pollUntil(() => api.pendingUpdates === 0, 'the group update confirmed', { timeoutMs: 10_000 });

    // channels status (another process): what was stored, nothing left to send, the token never
    // printed. Read again until the last turn is settled and sent (the process keeps running).
    type Report = { stats: { cursor: string; inbound: { answered?: number }; unsent: number } };
    const telegram = await pollUntil(
      async () => {
        const status = await env.run(['channels', 'status', '--json']);
        expect(status.status, status.stderr).toBe(0);
        expect(status.stdout).not.toContain(TOKEN);
        const [report] = JSON.parse(status.stdout) as Report[];
        return report!.stats.unsent === 0 && (report!.stats.inbound.answered ?? 0) >= 4 && report;
      },
      'channels status with four answers sent',
      { timeoutMs: 20_000 },
    );
    expect(telegram).toMatchObject({
      channel: 'telegram',
      enabled: true,
      secrets: [{ key: 'bot_token_env', variable: 'TEST_TELEGRAM_TOKEN', set: true }],
      senderIds: 3,
      stats: { inbound: { answered: 4 }, unsent: 0 },
    });
    expect(telegram.stats.cursor).toBe(String(last.updateId));
  });

  it("a scheduled run's result reaches the chat its schedule names, once; another user's chat is refused", async () => {
    // Bob's schedule may not post into Alice's chat: refused, and no schedule is left behind.
    const notify = ['--notify', `telegram:${OWNER}`, 'the daily digest'];
    const refused = await env.run(['schedule', 'add', '--every', '1h', '--user', 'bob', ...notify]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      `--notify telegram:${OWNER}: no listed sender of that chat is user "bob"`,
    );
    expect((await env.run(['schedule', 'list', '--json'])).stdout.trim()).toBe('[]');
    const added = await env.run([
      'schedule',
      'add',
      '--every',
      '1h',
      '--user',
      'alice',
      '--name',
      'digest',
      ...notify,
    ]);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toContain(`results go to telegram chat ${OWNER}`);

    // The run happens in another process; the running channels process delivers what it wrote.
    const ran = await env.run(['schedule', 'run-now', 'digest']);
    expect(ran.status, ran.stderr).toBe(0);
    await sentText(OWNER, 'Scheduled "digest":\nDigest: all quiet.', 'the scheduled result', run.stderr);
    // [scheduler] notify (the owner's chat) takes the operator's schedules that name no chat.
    // `--notify none` opts one out: stored as no chat, which `schedule add` says (what it prints is
    // what it stored). That such a schedule's result is then queued for no chat, not even
    // [scheduler] notify's, is packages/channels/test/schedule-default-chat.test.ts's ("none for an
    // opt-out"): not run here again, a model turn in one more process.
    for (const [name, notify] of [
      ['quiet', ['--notify', 'none']],
      ['operator', []],
    ] as const) {
      const add = await env.run([
        'schedule',
        'add',
        '--every',
        '1h',
        '--name',
        name,
        ...notify,
        'another digest',
      ]);
      expect(add.status, add.stderr).toBe(0);
      if (name === 'quiet') expect(add.stdout).toContain('results go to no chat');
    }
    const now = await env.run(['schedule', 'run-now', 'operator']);
    expect(now.status, now.stderr).toBe(0);
    await sentText(OWNER, 'Scheduled "operator":\nDigest: all quiet.', 'the default chat result', run.stderr);
    // A restart does not send it again.
    expect(await run.stop('SIGTERM')).toBe(0);
    run = await startChannels(env);
    api.message({ from: { id: OWNER }, text: 'hello after the digest' });
    await sentText(OWNER, 'Hello again.', 'the next answer', run.stderr);
    expect(api.sent(OWNER).filter((m) => m.text.startsWith('Scheduled "digest"'))).toHaveLength(1);
  }, 90_000); // two schedules run through the binary, each with a model turn: past 30 s on a loaded machine

  it('/new starts another session; a long answer is split; a 429 is waited out; a killed turn is not run again', async () => {
    api.message({ from: { id: OWNER }, text: 'remember the word kiwi' });
    await sentText(OWNER, 'Noted: kiwi.', 'the first answer', run.stderr);
    api.message({ from: { id: OWNER }, text: '/new' });
    await sentText(OWNER, 'Started a new conversation.', '/new', run.stderr);
    // The first sendMessage of the next answer is refused with 429: the host waits and sends it.
    api.failNext('sendMessage', {
      code: 429,
      description: 'Too Many Requests: retry after 1',
      retryAfter: 1,
    });
    api.message({ from: { id: OWNER }, text: 'write a lot' });
    const parts = await pollExplained(
      () => {
        const texts = api.sent(OWNER).map((m) => m.text);
        const at = texts.findIndex((t) => t.startsWith('Paragraph 0:'));
        return at >= 0 && texts.slice(at).join('\n\n') === long ? texts.slice(at) : undefined;
      },
      'the long answer',
      () => `sent: ${JSON.stringify(api.sent(OWNER).map((m) => m.text.slice(0, 60)))}; log: ${run.stderr()}`,
    );
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join('\n\n')).toBe(long);
    expect(api.calls.some((c) => c.method === 'sendMessage' && c.errorCode === 429)).toBe(true);
    // After /new the conversation starts over: the model is sent no earlier turn (memory recall aside).
    const longRequest = env.mock.requests.find((r) => r.raw.includes('write a lot'))!;
    const turns = (longRequest.body as { messages: { role: string; content: unknown }[] }).messages;
    expect(turns.filter((m) => m.role !== 'system')).toEqual([{ role: 'user', content: 'write a lot' }]);

    // /stop stops the answer being written; what was written stays, marked stopped.
    api.message({ from: { id: OWNER }, text: 'a stoppable question' });
    await pollUntil(
      () => api.sent(OWNER).some((m) => m.history.some((t) => t.startsWith('This answer'))),
      'the stoppable answer to start streaming',
      { timeoutMs: 20_000 },
    );
    api.message({ from: { id: OWNER }, text: '/stop' });
    await sentText(OWNER, 'Stopped.', '/stop', run.stderr);
    const stopped = api.sent(OWNER).find((m) => m.text.startsWith('This answer'))!;
    expect(stopped.text.endsWith('(stopped)')).toBe(true);
    expect(stopped.text).not.toContain('half way.');

    // Killed in the middle of a turn: after the restart it is not run again; the sender is told.
    api.message({ from: { id: OWNER }, text: 'a slow question' });
    await pollUntil(() => askedAbout(env, 'slow question') === 1, 'the slow turn to start', {
      timeoutMs: 20_000,
    });
    await run.stop('SIGKILL');
    run = await startChannels(env);
    await pollUntil(
      () => api.sent(OWNER).find((m) => m.text.startsWith('Oxydra stopped while answering')),
      'the interrupted note',
      { timeoutMs: 20_000 },
    );
    api.message({ from: { id: OWNER }, text: 'fine after restart?' });
    await sentText(OWNER, 'Fine after restart.', 'the answer after restart', run.stderr);
    // The model was asked the slow question once: the restart did not run it again.
    expect(askedAbout(env, 'slow question')).toBe(1);
  }, 40_000);

  it('files: a document in is saved under inbox/ and named in the prompt; a file out arrives; a forged or large one is refused', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
    api.message({
      from: { id: BOB },
      text: 'what does it say?',
      file: { bytes: pdf, fileName: '../../etc/Q3 report.pdf', mimeType: 'application/pdf' },
    });
    await sentText(BOB, 'Read it. The summary is attached.', 'the answer', run.stderr);
    const out = await pollUntil(() => api.sent(BOB).find((m) => m.document), 'the file sent back', {
      timeoutMs: 20_000,
    });
    expect(out.document).toMatchObject({ fileName: 'summary.txt' });
    expect(Buffer.from(out.document!.bytes).toString()).toBe('the summary\n');
    // The model was told where the file is; it is there, byte for byte, under a safe name.
    const prompt = env.mock.requests.find((r) => r.raw.includes('what does it say?'))!.raw;
    const path = /inbox\/telegram\/[^ ]+/.exec(prompt)![0];
    expect(path).toMatch(/^inbox\/telegram\/\d+-Q3_report\.pdf$/);
    expect(prompt).toContain('application/pdf');
    expect(readFileSync(join(env.workspace, path))).toEqual(pdf);

    // A PNG declared as a PDF is refused, and so is a file past max_file_bytes (never downloaded).
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    api.message({
      from: { id: BOB },
      text: 'and this?',
      file: { bytes: png, fileName: 'x.pdf', mimeType: 'application/pdf' },
    });
    await pollUntil(
      () => api.sent(BOB).find((m) => m.text.includes('"x.pdf" was not taken')),
      'the MIME refusal',
      { timeoutMs: 20_000 },
    );
    const downloads = api.downloads.length;
    api.message({
      from: { id: BOB },
      text: 'big',
      file: { bytes: Buffer.alloc(5000, 1), fileName: 'big.bin' },
    });
    await pollUntil(
      () => api.sent(BOB).find((m) => m.text.includes('"big.bin" was not taken')),
      'the size refusal',
      { timeoutMs: 20_000 },
    );
    expect(api.downloads).toHaveLength(downloads);
    expect(
      env.mock.requests.filter((r) => JSON.stringify(lastUser(r)).includes('inbox/telegram/')),
    ).toHaveLength(1);
    expect(readdirSync(join(env.workspace, 'inbox', 'telegram'))).toHaveLength(1);
  });

  it('asks a privileged call in the chat: Allow runs it, only its user may answer, no answer is a Deny; /cost, /undo', async () => {
    const team = { id: -600, type: 'supergroup' as const, title: 'Team' };
    const ask = (text: string) =>
      api.message({ from: { id: CAROL }, chat: team, text: `@oxydra_test_bot ${text}`, mentionBot: true });
    const question = (n: number) =>
      pollUntil(
        () => api.sent(team.id).filter((m) => m.replyMarkup !== undefined || m.text.includes('Allow it?'))[n],
        `question ${n}`,
        { timeoutMs: 20_000 },
      );
    const buttons = (m: { replyMarkup?: unknown }) =>
      (m.replyMarkup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard[0]!;
    const noteOf = (updateId: number) =>
      pollUntil(() => api.answers.find((a) => a.id === `cq-${updateId}`), `the note of press ${updateId}`, {
        timeoutMs: 20_000,
      });
    const press = (from: number, message: { messageId: number }, data: string) =>
      api.press({ from: { id: from }, chatId: team.id, messageId: message.messageId, data });

    ask('first task');
    const first = await question(0);
    expect(first.text).toContain('shell_exec');
    expect(first.text).toContain('echo approved-$((40+2))');
    const [allow, deny] = buttons(first);
    expect([allow!.text, deny!.text]).toEqual(['Allow', 'Deny']);
    expect(Buffer.byteLength(allow!.callback_data)).toBeLessThanOrEqual(64);
    // Bob is allowed to talk, but this is Carol's question: his press is noted and changes nothing.
    expect((await noteOf(press(BOB, first, allow!.callback_data))).text).toMatch(/^Only the person/);
    expect(first.replyMarkup).toBeDefined();
    expect((await noteOf(press(CAROL, first, allow!.callback_data))).text).toBe('Allowed.');
    await sentText(team.id, 'Ran it: approved-42.', 'the answer after Allow', run.stderr);
    // The question now says how it was answered, without its buttons.
    await pollUntil(
      () => first.text.endsWith('→ Allowed.') && first.replyMarkup === undefined,
      'the question closed',
    );
    expect(JSON.stringify(env.mock.requests.at(-1)!.body)).toContain('approved-42');

    // /cost: this conversation's two model calls, and Carol's day against her daily cap.
    ask('/cost');
    const cost = await pollUntil(
      () => api.sent(team.id).find((m) => m.text.startsWith('This conversation:')),
      'the /cost reply',
      { timeoutMs: 20_000 },
    );
    const [session, today, cap] = cost.text.split('\n');
    const spent = Number(/^This conversation: \$(\d+\.\d+) over 2 model call\(s\)\.$/.exec(session!)?.[1]);
    expect(spent).toBeGreaterThan(0);
    expect(today).toBe(`Today: $${spent.toFixed(2)} over 2 model call(s).`);
    expect(cap).toMatch(
      new RegExp(`^Daily cap: \\$${spent.toFixed(2)} of \\$2\\.00 used, \\$1\\.\\d\\d left \\(resets `),
    );
    // /undo puts back what the allowed command wrote; a second /undo has nothing left.
    expect(existsSync(join(env.workspace, 'approved.txt'))).toBe(true);
    ask('/undo');
    await sentText(
      team.id,
      "Undid the last turn's file changes: 0 file(s) restored, 1 removed.",
      '/undo',
      run.stderr,
    );
    expect(existsSync(join(env.workspace, 'approved.txt'))).toBe(false);
    ask('/undo');
    await sentText(
      team.id,
      "The last turn's file changes are already undone.",
      'the second /undo',
      run.stderr,
    );

    // Nobody answers the second: denied at the timeout, the command never ran, a late press is told.
    ask('second task');
    const second = await question(1);
    const [secondAllow] = buttons(second);
    await sentText(team.id, 'It was not run.', 'the answer after the timeout', run.stderr);
    await pollUntil(() => second.text.endsWith('→ No answer in time: denied.'), 'the question timed out');
    expect(JSON.stringify(env.mock.requests.at(-1)!.body)).not.toContain('never-2');
    expect((await noteOf(press(CAROL, second, secondAllow!.callback_data))).text).toBe(
      'This question is no longer open.',
    );
    expect(await run.stop('SIGTERM')).toBe(0);
  });
});
