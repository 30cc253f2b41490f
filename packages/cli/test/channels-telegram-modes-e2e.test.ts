/**
 * `oxydra channels run` with the real binary against the testkit's fake Telegram Bot API, in
 * the configurations that need a process of their own: pairing (`unknown_senders = "pair"`: a
 * stranger is sent a code the owner approves with `oxydra channels pair`), the webhook (Telegram
 * POSTs each update with the secret; a forged one is refused), what is loaded when, and a missing
 * token. The conversation itself is in channels-e2e.test.ts.
 */
import { freePort, pollUntil } from '@oxydra/testkit/helpers';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { killChannels, stop } from './channels-run.js';
import { channelsToml, OWNER, STRANGER, sentTextOn, startChannels, TOKEN } from './channels-telegram.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

describe('oxydra channels run (Telegram): pairing, webhook, configuration', () => {
  let env: AgentEnv | undefined;
  let api: FakeBotApi | undefined;
  const sentText = sentTextOn(() => api!);
  afterEach(async () => {
    await killChannels();
    await api?.close();
    api = undefined;
    await env?.close();
    env = undefined;
  });

  it('pairing: a stranger is sent a code, the owner approves it with channels pair, and the stranger is answered', async () => {
    api = await FakeBotApi.start({ token: TOKEN });
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ match: { lastMessageContains: 'now paired' }, reply: { text: 'Welcome in.' } }],
      channelsToml(api, '\nunknown_senders = "pair"'),
    );
    const running = await startChannels(env);
    // A name is the stranger's own words: a C1 CSI and a bidi override in it must not reach the terminal.
    api.message({ from: { id: STRANGER, first_name: 'Stranger\u009b2J\u202e' }, text: 'let me in' });
    const offer = await pollUntil(
      () => api!.sent(STRANGER).find((m) => m.text.includes('pairing code')),
      'the pairing code',
      { timeoutMs: 20_000 },
    );
    const code = /pairing code: ([A-Z0-9]{8})/.exec(offer.text)![1]!;
    // A second message gets no second code; the model was never asked.
    api.message({ from: { id: STRANGER }, text: 'hello?' });
    await pollUntil(() => api!.pendingUpdates === 0, 'the second message confirmed', { timeoutMs: 10_000 });
    expect(api.sent(STRANGER)).toHaveLength(1);

    const list = await env.run(['channels', 'pair']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(`telegram  sender ${STRANGER}  "Stranger\\x9b2J\\u202e"`);
    expect(list.stdout).not.toContain(code);
    const wrong = await env.run(['channels', 'pair', 'telegram', 'AAAAAAAA']);
    expect(wrong.status).toBe(2);
    const approve = await env.run(['channels', 'pair', 'telegram', code.toLowerCase(), '--user', 'bob']);
    expect(approve.status, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`sender ${STRANGER} is paired as user bob`);

    // The running process lets them in without a restart.
    api.message({ from: { id: STRANGER }, text: 'am I now paired?' });
    await sentText(STRANGER, 'Welcome in.', 'the paired answer', running.stderr);
    expect(env.mock.requests).toHaveLength(1);
    expect(running.stderr()).not.toContain(code);

    const revoke = await env.run(['channels', 'pair', '--revoke', 'telegram', String(STRANGER)]);
    expect(revoke.status, revoke.stderr).toBe(0);
    api.message({ from: { id: STRANGER }, text: 'still there?' });
    await pollUntil(() => api!.sent(STRANGER).length === 3, 'a new code after the revoke', {
      timeoutMs: 20_000,
    });
    expect(api.sent(STRANGER).at(-1)!.text).toContain('pairing code');
    expect(env.mock.requests).toHaveLength(1);
    expect(await stop(running.child, 'SIGTERM')).toBe(0);
  }, 60_000); // four `oxydra channels pair` processes besides the bot's

  it('webhook: Telegram POSTs each update with the secret, answered once stored; a forged one is refused', async () => {
    api = await FakeBotApi.start({ token: TOKEN });
    const port = await freePort();
    const hook = `http://127.0.0.1:${port}/tg-hook`;
    const SECRET = 'hook-secret_0123456789';
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ match: { lastMessageContains: 'via webhook' }, reply: { text: 'Webhook answer.' } }],
      channelsToml(
        api,
        `\nmode = "webhook"\nwebhook_url = "${hook}"\nwebhook_listen_port = ${port}\nsecret_token_env = "TEST_TG_SECRET"`,
      ),
    );
    env.sandbox.env.TEST_TG_SECRET = SECRET;
    const running = await startChannels(env);
    const set = api.calls.find((c) => c.method === 'setWebhook');
    expect(set?.params).toMatchObject({ url: hook, secret_token: SECRET });
    expect(api.calls.some((c) => c.method === 'getUpdates')).toBe(false);

    // A forged update (a wrong or no secret, another path) is refused and never reaches the agent.
    const forged = {
      update_id: 900,
      message: {
        message_id: 1,
        date: 1,
        chat: { id: OWNER, type: 'private' },
        from: { id: OWNER, is_bot: false, first_name: 'A' },
        text: 'forged via webhook',
      },
    };
    const post = (url: string, headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(forged),
      });
    expect((await post(hook, { 'x-telegram-bot-api-secret-token': 'wrong' })).status).toBe(401);
    expect((await post(hook, {})).status).toBe(401);
    expect(
      (await post(`http://127.0.0.1:${port}/other`, { 'x-telegram-bot-api-secret-token': SECRET })).status,
    ).toBe(404);

    api.message({ from: { id: OWNER }, text: 'hello via webhook' });
    await sentText(OWNER, 'Webhook answer.', 'the webhook answer', running.stderr);
    await pollUntil(() => api!.pendingUpdates === 0, 'the update acknowledged', { timeoutMs: 10_000 });
    expect(api.deliveries).toEqual([{ updateId: 1, status: 200 }]);
    expect(env.mock.requests).toHaveLength(1);
    expect(running.stderr()).not.toContain(SECRET);
    expect(await stop(running.child, 'SIGTERM')).toBe(0);
  });

  it('oxydra run loads neither the channels host nor grammY; channels run loads both', async () => {
    api = await FakeBotApi.start({ token: TOKEN });
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'Hello.' } }], channelsToml(api));
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const run = await env.run(['run', 'Say hello']);
    expect(run.status, run.stderr).toBe(0);
    const HOST = 'Oxydra stopped while answering this message';
    const GRAMMY = 'you are running your bot several times';
    expect(anyContains(recorder.loaded(), HOST)).toBe(false);
    expect(anyContains(recorder.loaded(), GRAMMY)).toBe(false);
    // The checks can tell. channels run with its token unset stops before connecting: the host
    // is loaded, grammY not yet (a platform's library is loaded when its channel opens)...
    recorder.clear();
    expect((await env.run(['channels', 'run'])).status).toBe(2);
    expect(anyContains(recorder.loaded(), HOST)).toBe(true);
    expect(anyContains(recorder.loaded(), GRAMMY)).toBe(false);
    // ...and with the token set it loads grammY (and fails: the platform is gone).
    recorder.clear();
    await api.close();
    api = undefined;
    env.sandbox.env.TEST_TELEGRAM_TOKEN = TOKEN;
    expect((await env.run(['channels', 'run'])).status).not.toBe(0);
    expect(anyContains(recorder.loaded(), GRAMMY)).toBe(true);
  });

  it('refuses to start without the token variable, naming it, exit 2', async () => {
    api = await FakeBotApi.start({ token: TOKEN });
    env = await AgentEnv.start(E2E_APIS[0]!, [], channelsToml(api));
    const out = await env.run(['channels', 'run']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('TEST_TELEGRAM_TOKEN');
    expect(out.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
