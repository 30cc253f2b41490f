/**
 * `[channels]`: chat platforms agents are reached from (issue 34). The Telegram keys and
 * defaults are Oxydra's (`enabled`, `bot_token_env`, `polling_timeout_secs`, `max_message_length`,
 * `[[channels.telegram.senders]]` with `platform_ids` and `display_name`: default-deny, only
 * listed senders are answered); `user` and `api_root` are ours. The bot token is never in the
 * file: `bot_token_env` names the variable holding it.
 */
import { z } from 'zod';

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `[[channels.<platform>.senders]]`: one person, by the platform's stable ids (whose form each
 * platform checks with `id`). The same shape on every platform, so the sender policy is one.
 */
export function channelSenderSchema(platform: string, id: z.ZodString) {
  return z.strictObject({
    platform_ids: z
      .array(id)
      .min(1)
      .describe(`the person's ${platform} ids (as text); one person may have several`),
    display_name: z.string().min(1).max(100).optional().describe('a name for logs'),
    user: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'use 1-128 letters, digits, ".", "_", ":", "@" or "-"')
      .optional()
      .describe(
        `the kernel user the sender acts as (budgets, permissions, memory); default "${platform.toLowerCase()}-<first platform id>"`,
      ),
  });
}

const telegramSenderSchema = channelSenderSchema(
  'Telegram',
  z.string().regex(/^-?\d{1,20}$/, 'a Telegram user id is a number (ask @userinfobot for yours)'),
);

/** One platform id maps to one user: a second listing of it is a config error (every platform). */
export function checkSenderIds(
  senders: readonly { platform_ids: readonly string[] }[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, number>();
  senders.forEach((sender, i) => {
    for (const id of sender.platform_ids) {
      const first = seen.get(id);
      if (first !== undefined && first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['senders', i, 'platform_ids'],
          message: `platform id ${id} is listed in senders ${first} and ${i}; one id maps to one user`,
        });
      }
      seen.set(id, i);
    }
  });
}

/**
 * `unknown_senders`, every platform's (its sender section): what a stranger's direct message
 * gets. Group messages from strangers are never answered.
 */
export const channelUnknownSendersSchema = z
  .enum(['ignore', 'pair'])
  .default('ignore')
  .describe(
    'what a direct message from a sender not in senders gets: "ignore" (nothing), or "pair" (a one-time code the owner approves with `oxydra channels pair`)',
  );

/** `max_file_bytes`, every platform's: the largest file taken from a chat or sent to it. */
export const channelMaxFileBytesSchema = z
  .int()
  .min(1)
  .max(2 * 1024 * 1024 * 1024)
  .default(20 * 1024 * 1024)
  .describe(
    'the largest file taken from a chat (saved under inbox/<channel>/ in the workspace) or sent to it, in bytes; larger ones are refused without being read',
  );

/** The `agent` key every platform has. */
export const channelAgentSchema = z
  .string()
  .min(1)
  .optional()
  .describe('the `[agents.<name>]` answering; default: the default agent');

export const telegramChannelSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('`oxydra channels run` answers this bot'),
    bot_token_env: z
      .string()
      .regex(ENV_NAME, 'an environment variable name, e.g. "TELEGRAM_BOT_TOKEN"')
      .optional()
      .describe("the environment variable holding the bot's token (from @BotFather); required when enabled"),
    polling_timeout_secs: z
      .int()
      .min(1)
      .max(50)
      .default(30)
      .describe('long polling: how long each getUpdates waits for a message'),
    max_message_length: z
      .int()
      .min(100)
      .max(4096)
      .default(4096)
      .describe("longer answers are split at paragraph, then line boundaries (Telegram's limit is 4096)"),
    senders: z
      .array(telegramSenderSchema)
      .default([])
      .describe('who may talk to the bot; anyone else gets no answer (logged once per sender)'),
    unknown_senders: channelUnknownSendersSchema,
    max_file_bytes: channelMaxFileBytesSchema,
    agent: channelAgentSchema,
    mode: z
      .enum(['polling', 'webhook'])
      .default('polling')
      .describe('how updates arrive: long polling (getUpdates), or a webhook Telegram POSTs to'),
    webhook_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'mode = "webhook": the public URL Telegram POSTs updates to (Telegram requires https; a reverse proxy forwards to webhook_listen_host:port, same path)',
      ),
    webhook_listen_host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('mode = "webhook": the address the webhook server listens on'),
    webhook_listen_port: z
      .int()
      .min(1)
      .max(65535)
      .default(8443)
      .describe('mode = "webhook": the port the webhook server listens on'),
    secret_token_env: z
      .string()
      .regex(ENV_NAME, 'an environment variable name, e.g. "TELEGRAM_WEBHOOK_SECRET"')
      .optional()
      .describe(
        'mode = "webhook": the variable holding the secret Telegram sends with every update (1-256 of A-Z a-z 0-9 _ -); required then',
      ),
    api_root: z
      .url({ protocol: /^https?$/ })
      .refine((url) => !url.endsWith('/'), 'remove the trailing "/"')
      .default('https://api.telegram.org')
      .describe('the Bot API server (a local Bot API server, or a test fake)'),
  })
  .superRefine((telegram, ctx) => {
    if (telegram.enabled && telegram.bot_token_env === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['bot_token_env'],
        message:
          'enabled = true needs bot_token_env, the variable holding the token (e.g. "TELEGRAM_BOT_TOKEN")',
      });
    }
    if (telegram.mode === 'webhook') {
      if (telegram.webhook_url === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['webhook_url'],
          message: 'mode = "webhook" needs webhook_url, the public https URL Telegram POSTs to',
        });
      if (telegram.secret_token_env === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['secret_token_env'],
          message: 'mode = "webhook" needs secret_token_env, the variable holding the webhook secret',
        });
    }
    checkSenderIds(telegram.senders, ctx);
  });

/** One key per platform (each platform's schema in its own file beside this one). */
export const channelsSchema = z.strictObject({
  telegram: telegramChannelSchema.prefault({}),
});

export type TelegramChannelConfig = z.output<typeof telegramChannelSchema>;
export type ChannelSenderConfig = z.output<ReturnType<typeof channelSenderSchema>>;
