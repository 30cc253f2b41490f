/**
 * `[channels]`: chat platforms agents are reached from (issue 34). The Telegram keys and
 * defaults are Oxydra's (`enabled`, `bot_token_env`, `polling_timeout_secs`, `max_message_length`,
 * `[[channels.telegram.senders]]` with `platform_ids` and `display_name`: default-deny, only
 * listed senders are answered); `user` and `api_root` are ours. The bot token is never in the
 * file: `bot_token_env` names the variable holding it.
 */
import { z } from 'zod';
import { once } from '../once.js';
import { discordChannelSchema } from './channels-discord-schema.js';
import { emailChannelSchema } from './channels-email-schema.js';
import { pluginChannelsSchema } from './channels-plugin-schema.js';
import {
  channelAgentSchema,
  channelHostKeys,
  channelMaxFileBytesSchema,
  channelSenderSchema,
  channelUnknownSendersSchema,
  checkSenderIds,
  ENV_NAME,
} from './channels-schema-parts.js';
import { slackChannelSchema } from './channels-slack-schema.js';

export {
  channelAgentSchema,
  channelMaxFileBytesSchema,
  channelSenderSchema,
  channelUnknownSendersSchema,
  checkSenderIds,
  ENV_NAME,
};

const telegramSenderSchema = once(() =>
  channelSenderSchema(
    'Telegram',
    z.string().regex(/^-?\d{1,20}$/, 'a Telegram user id is a number (ask @userinfobot for yours)'),
  ),
);

export const telegramChannelSchema = once(() =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('`oxydra channels run` answers this bot'),
      bot_token_env: z
        .string()
        .regex(ENV_NAME, 'an environment variable name, e.g. "TELEGRAM_BOT_TOKEN"')
        .optional()
        .describe(
          "the environment variable holding the bot's token (from @BotFather); required when enabled",
        ),
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
        .array(telegramSenderSchema())
        .default([])
        .describe('who may talk to the bot; anyone else gets no answer (logged once per sender)'),
      // What the host does with the channel's messages, the same keys on every platform.
      ...channelHostKeys(),
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
          'mode = "webhook": the variable holding the secret Telegram sends with every update (16-256 of A-Z a-z 0-9 _ -); required then',
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
    }),
);

/**
 * One key per platform (each platform's schema in its own file beside this one). What an absent
 * [channels] parses to is also in absent-sections.ts (a test holds the two equal).
 */
export const channelsSchema = once(() =>
  z.strictObject({
    telegram: telegramChannelSchema().prefault({}),
    slack: slackChannelSchema().prefault({}),
    discord: discordChannelSchema().prefault({}),
    email: emailChannelSchema().prefault({}),
    plugin: pluginChannelsSchema(),
  }),
);

export type TelegramChannelConfig = z.output<ReturnType<typeof telegramChannelSchema>>;
export type ChannelSenderConfig = z.output<ReturnType<typeof channelSenderSchema>>;
export type { DiscordChannelConfig } from './channels-discord-schema.js';
export type { EmailChannelConfig } from './channels-email-schema.js';
export type { PluginChannelConfig } from './channels-plugin-schema.js';
