/**
 * Operating the chat channels with the real binary against the testkit's fake Telegram Bot API:
 * `oxydra channels list` from the configuration; `oxydra channels test` checks the token with
 * getMe only (a refused token exits 1 with Telegram's words, an unset variable exits 2, the token
 * never printed) and with --to sends one message; `oxydra channels status` reads the health a
 * running `oxydra channels run` records (running, as whom, its last error) and the answer Telegram
 * refused for good, kept with its error; after a clean stop it says so.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterEach, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { killChannels, startChannels } from './channels-run.js';

const OWNER = 4242;
const TOKEN = '777000:AAE2E-ops-secret-token';

let env: AgentEnv | undefined;
let api: FakeBotApi | undefined;

afterEach(async () => {
  await killChannels();
  await api?.close();
  api = undefined;
  await env?.close();
  env = undefined;
});

interface Report {
  health?: { running: boolean; botName: string; pid: number; lastError?: string; stoppedAt?: string };
  failures: { total: number; recent: { chatId: string; error: string; text: string }[] };
  stats: { inbound: Record<string, number>; unsent: number };
}

it('lists, tests and reports a Telegram channel: health from the running process, a refused send kept', async () => {
  api = await FakeBotApi.start({ token: TOKEN });
  env = await AgentEnv.start(
    E2E_APIS[0]!,
    [{ reply: { text: 'An answer nobody receives.' } }],
    `
[channels.telegram]
enabled = true
bot_token_env = "TEST_TELEGRAM_TOKEN"
api_root = "${api.url}"
polling_timeout_secs = 1

[[channels.telegram.senders]]
platform_ids = ["${OWNER}"]
user = "alice"
`,
  );
  const agent = env;
  const run = async (args: string[], status = 0) => {
    const out = await agent.run(args);
    expect(out.status, `${args.join(' ')}: ${out.stderr}`).toBe(status);
    expect(out.stdout + out.stderr).not.toContain(TOKEN);
    return out;
  };

  // list: the configuration only, one line each.
  // Every platform has a line, the ones not configured too (disabled).
  const lines = (await run(['channels', 'list'])).stdout.split('\n');
  expect(lines[0]).toBe('telegram: enabled, 1 sender (1 platform id), agent default');
  expect(lines.slice(1, 4).map((line) => line.split(':')[0])).toEqual(['slack', 'discord', 'email']);
  const listed = JSON.parse((await run(['channels', 'list', '--json'])).stdout);
  expect(listed[0]).toEqual({
    channel: 'telegram',
    enabled: true,
    secrets: [{ key: 'bot_token_env', variable: 'TEST_TELEGRAM_TOKEN', set: false }],
    senders: 1,
    senderIds: 1,
  });
  expect(listed.slice(1).every((c: { enabled: boolean }) => !c.enabled)).toBe(true);

  // test: the variable unset is a configuration mistake; a refused token is Telegram's answer.
  expect((await run(['channels', 'test', 'telegram'], 2)).stderr).toContain('TEST_TELEGRAM_TOKEN');
  agent.sandbox.env.TEST_TELEGRAM_TOKEN = '777000:not-the-token';
  const refused = await run(['channels', 'test', 'telegram'], 1);
  expect(refused.stderr).toContain('401 Unauthorized');
  expect(refused.stderr).not.toContain('not-the-token');
  agent.sandbox.env.TEST_TELEGRAM_TOKEN = TOKEN;
  expect((await run(['channels', 'test', 'telegram'])).stdout).toContain('the bot is @oxydra_test_bot');
  // A check changes nothing on the platform (no deleteWebhook, no getUpdates).
  expect(api.calls.map((c) => c.method).filter((m) => m !== 'getMe')).toEqual([]);
  const sent = await run(['channels', 'test', 'telegram', '--to', String(OWNER)]);
  expect(sent.stdout).toContain(`sent a test message to chat ${OWNER}`);
  expect(api.sent(OWNER).map((m) => m.text)).toEqual(['Oxydra test message: this channel can send here.']);
  expect((await run(['channels', 'status'])).stdout).toContain('health: never run in this workspace');

  // run: the answer's placeholder and the answer itself are refused for good (the bot was blocked).
  const running = await startChannels(agent, {
    env: { TEST_TELEGRAM_TOKEN: TOKEN },
    ready: 'answering as @oxydra_test_bot',
  });
  const blocked = { code: 403, description: 'Forbidden: bot was blocked by the user' };
  api.failNext('sendMessage', blocked);
  api.failNext('sendMessage', blocked);
  api.message({ from: { id: OWNER }, text: 'are you there?' });
  const status = async () => JSON.parse((await run(['channels', 'status', '--json'])).stdout)[0] as Report;
  // The failure is stored at once; the last error reaches the record with the next heartbeat.
  const report = await pollUntil(
    async () => {
      const r = await status();
      return r.failures.total === 1 && r.health?.lastError ? r : undefined;
    },
    `the refused answer in channels status; log:\n${running.stderr()}`,
    { timeoutMs: 20_000 },
  );
  expect(report.health).toMatchObject({
    running: true,
    botName: '@oxydra_test_bot',
    pid: running.child.pid,
  });
  expect(report.health!.lastError).toContain('403 Forbidden: bot was blocked by the user');
  expect(report.failures.recent).toEqual([
    expect.objectContaining({
      chatId: String(OWNER),
      text: 'An answer nobody receives.',
      error: 'Telegram sendMessage: 403 Forbidden: bot was blocked by the user',
    }),
  ]);
  expect(report.stats).toMatchObject({ inbound: { answered: 1 }, unsent: 0 });
  const text = (await run(['channels', 'status'])).stdout;
  expect(text).toMatch(/health: running as @oxydra_test_bot \(pid \d+ on .+; heartbeat \d+ s ago\)/);
  expect(text).toContain('failed sends: 1');
  expect(text).toContain(`chat ${OWNER}: Telegram sendMessage: 403 Forbidden`);
  expect(await running.stop('SIGTERM')).toBe(0);
  const after = JSON.parse((await run(['channels', 'status', '--json'])).stdout)[0] as Report;
  expect(after.health).toMatchObject({ running: false, stoppedAt: expect.any(String) });
  expect((await run(['channels', 'status'])).stdout).toContain('health: not running (stopped ');
  // 13 runs of the binary and a heartbeat's wait: 26-40 s on a 2-core machine at load 24.
}, 90_000);
