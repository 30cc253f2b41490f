/**
 * `oxydra channels test`'s check with real grammY against the testkit's fake Bot API: getMe
 * only, the bot's name; a refused token or an unknown chat is a ChannelTestFailure carrying
 * Telegram's words without the token; a name that is no channel or a blank chat id is a
 * UsageError. Slack and Discord are checked by their Web/REST APIs alone, opening no socket or
 * gateway session. The exit codes through the binary are in packages/cli/test/channels-ops-e2e.test.ts.
 */
import { ChannelTestFailure, TEST_MESSAGE, testChannel } from '@oxydra/channels';
import { FakeDiscord } from '@oxydra/testkit/discord';
import { FakeSlack } from '@oxydra/testkit/slack';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { UsageError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, expect, it } from 'vitest';

const TOKEN = '555000:probe-secret-token';
let api: FakeBotApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function configWith(channels: Record<string, unknown>) {
  return agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    channels,
  });
}

function configFor(fake: FakeBotApi) {
  return configWith({ telegram: { enabled: true, bot_token_env: 'PROBE_TOKEN', api_root: fake.url } });
}

it('checks the token with getMe alone, sends one message with --to, and words refusals without the token', async () => {
  api = await FakeBotApi.start({ token: TOKEN });
  const config = configFor(api);
  const test = (env: Record<string, string>, to?: string, channel = 'telegram') =>
    testChannel({ config, channel, env, to });

  expect(await test({ PROBE_TOKEN: TOKEN })).toEqual({ botName: '@oxydra_test_bot' });
  expect(api.calls.map((c) => c.method)).toEqual(['getMe']);
  const sent = await test({ PROBE_TOKEN: TOKEN }, ' 4242 ');
  expect(api.sent(4242).map((m) => [String(m.messageId), m.text])).toEqual([[sent.messageId, TEST_MESSAGE]]);

  const refused = await test({ PROBE_TOKEN: '555000:wrong-secret' }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ChannelTestFailure);
  expect(refused).toMatchObject({ step: 'check', channel: 'telegram' });
  expect((refused as Error).message).toContain('401 Unauthorized');
  expect((refused as Error).message).not.toContain('wrong-secret');
  const nowhere = await test({ PROBE_TOKEN: TOKEN }, 'nobody').catch((error: unknown) => error);
  expect(nowhere).toMatchObject({ step: 'send', message: expect.stringContaining('chat not found') });

  await expect(test({ PROBE_TOKEN: TOKEN }, '  ')).rejects.toThrow(UsageError);
  await expect(test({ PROBE_TOKEN: TOKEN }, undefined, 'slack-ish')).rejects.toThrow(
    'no channel "slack-ish"',
  );
  await expect(test({})).rejects.toThrow('PROBE_TOKEN');
});

it("Slack: checks both tokens (auth.test, apps.connections.open) and opens no socket, which would take a running bot's events", async () => {
  const fake = await FakeSlack.start();
  try {
    const config = configWith({
      slack: { enabled: true, bot_token_env: 'B', app_token_env: 'A', api_url: fake.apiUrl },
    });
    const env = { B: fake.botToken, A: fake.appToken };
    expect(await testChannel({ config, channel: 'slack', env })).toEqual({ botName: '@oxydra' });
    expect(fake.calls.map((c) => c.method)).toEqual(['auth.test', 'apps.connections.open']);
    expect(fake.socket.connections).toBe(0);
    const refused = await testChannel({ config, channel: 'slack', env: { ...env, A: 'xapp-wrong' } }).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ step: 'check', channel: 'slack' });
    expect((refused as Error).message).not.toContain('xapp-wrong');
  } finally {
    await fake.close();
  }
});

it('Discord: checks the token with GET users/@me and opens no gateway session', async () => {
  const fake = await FakeDiscord.start();
  try {
    const config = configWith({ discord: { enabled: true, bot_token_env: 'D', api_url: fake.apiUrl } });
    const result = await testChannel({ config, channel: 'discord', env: { D: fake.token } });
    expect(result.botName).toBe(`@${fake.bot.username}`);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /users/@me']);
    expect(fake.identifies).toEqual([]);
  } finally {
    await fake.close();
  }
});
