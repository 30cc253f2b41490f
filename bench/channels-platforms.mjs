// The platform side of the channel benchmarks (not one itself): for each platform, the testkit's
// fake of it and what a benchmark needs from it, the same shape for every platform, so one script
// (bench/channels-chaos.mjs, bench/channels-env.mjs) runs on any of them:
//   start()            the fake, listening;
//   env / toml(n)      the variables and the [channels.<name>] section for n allowlisted senders,
//                      sender i alone in their direct chat chatOf(i), their own kernel user;
//   send(i, text)      sender i writes in their chat; returns the delivery's id;
//   deliveredAt(id)    when the fake first handed that delivery to the process (performance.now());
//   sent()             what the bot posted, each { chat, text } with its edits applied;
//   outbound()         every post or edit the bot made, in order: { at, chat, kind: 'post'|'edit',
//                      messageId, ok, error, text };
//   pending            deliveries not confirmed yet (Telegram: updates not past the offset;
//                      Slack: envelopes not acknowledged), so none is left behind;
//   figures()          what is particular to the platform, for the report.
// Chat ids are strings everywhere (the outbox's chat_id), so the benchmark needs no platform test.

import { FakeSlack } from '@oxydra/testkit/slack';
import { FakeBotApi } from '@oxydra/testkit/telegram';

const TELEGRAM_TOKEN = '777000:AAbench-channels-token-0123456789';
/** The first Telegram sender's id; sender i is FIRST_SENDER + i, their private chat has that id. */
export const FIRST_SENDER = 100_000;

/** Telegram by long polling: the durable cursor is getUpdates' offset. */
export async function telegram() {
  const api = await FakeBotApi.start({ token: TELEGRAM_TOKEN });
  const chatOf = (i) => String(FIRST_SENDER + i);
  return {
    name: 'telegram',
    description: 'fake Telegram Bot API (@oxydra/testkit/telegram), long polling',
    fake: api,
    env: { BENCH_TELEGRAM_TOKEN: TELEGRAM_TOKEN },
    toml: (senders) => `
[channels.telegram]
enabled = true
bot_token_env = "BENCH_TELEGRAM_TOKEN"
api_root = "${api.url}"
polling_timeout_secs = 5
${Array.from(
  { length: senders },
  (_, i) => `\n[[channels.telegram.senders]]\nplatform_ids = ["${chatOf(i)}"]\nuser = "chat-user-${i}"\n`,
).join('')}`,
    chatOf,
    send: (i, text) =>
      api.message({ from: { id: FIRST_SENDER + i, first_name: `Sender ${i}` }, text }).updateId,
    deliveredAt: (id) => api.deliveredAt(id),
    sent: () => api.sent().map((m) => ({ chat: String(m.chatId), text: m.text })),
    outbound: () =>
      api.calls
        .filter((c) => c.method === 'sendMessage' || c.method === 'editMessageText')
        .map((c) => ({
          at: c.at,
          chat: String(c.params.chat_id),
          kind: c.method === 'sendMessage' ? 'post' : 'edit',
          messageId: c.params.message_id,
          ok: c.ok,
          error: c.errorCode,
          text: String(c.params.text ?? ''),
        })),
    get pending() {
      return api.pendingUpdates;
    },
    figures: () => ({}),
    close: () => api.close(),
  };
}

/**
 * Slack by Socket Mode, the mode a Slack app for one workspace runs in (Oxydra's default: no
 * public URL, no TLS certificate, no signing secret). There is no offset: each envelope is
 * acknowledged once what it carried is stored, and Slack sends an unacknowledged one again, with
 * retry_attempt and retry_reason, on the next connection or after 3 s on the open one (the fake
 * does both, and gives up after 3 retries as Slack does).
 */
export async function slack() {
  const fake = await FakeSlack.start({
    botToken: 'xoxb-0000-1111-bench-channels-bot-token',
    appToken: 'xapp-1-A0FAKE-2222-bench-channels-app-token',
    socket: { redeliverAfterMs: 3000, maxRetries: 3 },
  });
  const userOf = (i) => `U0CHAOS${String(i).padStart(5, '0')}`;
  const chatOf = (i) => `D${userOf(i)}`;
  /** event_id -> its envelope, filled as needed (deliveredAt). */
  const envelopes = new Map();
  const envelopeOf = (eventId) => {
    if (!envelopes.has(eventId))
      for (const e of fake.socket.envelopes) if (e.payload.event_id) envelopes.set(e.payload.event_id, e);
    return envelopes.get(eventId);
  };
  return {
    name: 'slack',
    description: 'fake Slack (@oxydra/testkit/slack), Socket Mode, unacknowledged envelopes redelivered',
    fake,
    env: { BENCH_SLACK_BOT_TOKEN: fake.botToken, BENCH_SLACK_APP_TOKEN: fake.appToken },
    toml: (senders) => `
[channels.slack]
enabled = true
mode = "socket"
bot_token_env = "BENCH_SLACK_BOT_TOKEN"
app_token_env = "BENCH_SLACK_APP_TOKEN"
api_url = "${fake.apiUrl}"
${Array.from(
  { length: senders },
  (_, i) => `\n[[channels.slack.senders]]\nplatform_ids = ["${userOf(i)}"]\nuser = "chat-user-${i}"\n`,
).join('')}`,
    chatOf,
    send: (i, text) => fake.message({ user: userOf(i), text }).eventIds[0],
    deliveredAt: (id) => envelopeOf(id)?.firstSentAt,
    sent: () => fake.sent().map((m) => ({ chat: m.channel, text: slackUnescaped(m.text) })),
    outbound: () =>
      fake.calls
        .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
        .map((c) => ({
          at: c.at,
          chat: String(c.params.channel),
          kind: c.method === 'chat.postMessage' ? 'post' : 'edit',
          messageId: c.params.ts,
          ok: c.ok,
          error: c.error,
          text: slackUnescaped(String(c.params.text ?? '')),
        })),
    get pending() {
      return fake.unacked.length;
    },
    figures: () => {
      const all = fake.socket.envelopes;
      return {
        envelopes: all.length,
        envelopes_sent_again: all.filter((e) => e.sends > 1).length,
        redeliveries: all.reduce((n, e) => n + e.sends - 1, 0),
        envelopes_slack_gave_up_on: all.filter((e) => e.givenUp).length,
      };
    },
    close: () => fake.close(),
  };
}

/** Slack's escaping of `&`, `<`, `>` undone, so a text compares with what the model wrote. */
function slackUnescaped(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export const platforms = { telegram, slack };
