/**
 * What the Telegram channel e2e files share (channels-e2e.test.ts, channels-telegram-modes-e2e.test.ts):
 * the people, the token, the [channels.telegram] configuration pointed at the fake Bot API, the
 * start of `oxydra channels run` with the token, and a wait for what the bot sent to a chat.
 */
import type { ScenarioStep } from '@oxydra/testkit';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterEach } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { killChannels, pollExplained, startChannels as startProcess } from './channels-run.js';

export const OWNER = 4242;
export const STRANGER = 9999;
export const TOKEN = '777000:AAE2E-secret-token-value';

/** `extra`: more [channels.telegram] keys; `moreSenders`: more TOML after the owner's sender entry. */
export function channelsToml(fake: FakeBotApi, extra = '', moreSenders = ''): string {
  return `
[channels.telegram]
enabled = true${extra}
bot_token_env = "TEST_TELEGRAM_TOKEN"
api_root = "${fake.url}"
polling_timeout_secs = 2

[[channels.telegram.senders]]
platform_ids = ["${OWNER}"]
display_name = "Owner"
user = "alice"
${moreSenders}`;
}

/** Starts `oxydra channels run` with the token set; resolves once it says it is answering. */
export const startChannels = (agent: AgentEnv) =>
  startProcess(agent, { env: { TEST_TELEGRAM_TOKEN: TOKEN }, ready: 'answering as @oxydra_test_bot' });

/** Waits for a message the bot sent to `chat` with exactly `text`; a timeout says what was sent and logged. */
export const sentTextOn =
  (fake: () => FakeBotApi) => (chat: number, text: string, what: string, log: () => string) =>
    pollExplained(
      () =>
        fake()
          .sent(chat)
          .find((m) => m.text === text),
      what,
      () =>
        `sent: ${JSON.stringify(
          fake()
            .sent(chat)
            .map((m) => m.text.slice(0, 80)),
        )}; log:\n${log()}`,
    );

/**
 * For a file whose every test starts its own fake Bot API, model and `oxydra channels run`:
 * `start` does all three (the model answering `steps`; `extra`, `moreSenders`: as channelsToml),
 * and each is closed after the test.
 */
export function channelsRunPerTest() {
  let api: FakeBotApi | undefined;
  let env: AgentEnv | undefined;
  afterEach(async () => {
    await killChannels();
    await api?.close();
    await env?.close();
    api = env = undefined;
  });
  return {
    async start(steps: ScenarioStep[], extra = '', moreSenders = '') {
      api = await FakeBotApi.start({ token: TOKEN });
      env = await AgentEnv.start(E2E_APIS[0]!, steps, channelsToml(api, extra, moreSenders));
      return { api, env, running: await startChannels(env) };
    },
  };
}
