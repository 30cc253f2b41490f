/**
 * `[channels.discord]`: a Discord bot (issue 34). The same shape as Telegram's section
 * (`enabled`, `bot_token_env`, `max_message_length`, `senders`, `agent`); `api_url` points
 * discord.js's REST client at another server (a test fake), and the gateway's WebSocket URL is
 * whatever that server's `GET /gateway/bot` answers, as on Discord. The token is never in the
 * file: `bot_token_env` names the variable holding it.
 */
import { z } from 'zod';
import { once } from '../once.js';
import { channelHostKeys, channelSenderSchema, checkSenderIds, ENV_NAME } from './channels-schema-parts.js';

const discordSenderSchema = once(() =>
  channelSenderSchema(
    'Discord',
    z
      .string()
      .regex(
        /^\d{17,20}$/,
        'a Discord user id is a snowflake of 17-20 digits (Developer Mode on, right-click the user, Copy User ID)',
      ),
  ),
);

export const discordChannelSchema = once(() =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('`oxydra channels run` answers this bot'),
      bot_token_env: z
        .string()
        .regex(ENV_NAME, 'an environment variable name, e.g. "DISCORD_BOT_TOKEN"')
        .optional()
        .describe(
          "the environment variable holding the bot's token (Developer Portal, Bot, Reset Token); required when enabled",
        ),
      max_message_length: z
        .int()
        .min(100)
        .max(2000)
        .default(2000)
        .describe("longer answers are split at paragraph, then line boundaries (Discord's limit is 2000)"),
      senders: z
        .array(discordSenderSchema())
        .default([])
        .describe('who may talk to the bot; anyone else gets no answer (logged once per sender)'),
      // What the host does with the channel's messages, the same keys on every platform.
      ...channelHostKeys(),
      api_url: z
        .url({ protocol: /^https?$/ })
        .refine((url) => !url.endsWith('/'), 'remove the trailing "/"')
        .default('https://discord.com/api')
        .describe(
          "Discord's REST API (a test fake); the gateway URL is what its GET /gateway/bot answers, and attachments are fetched only from Discord's CDN or this server",
        ),
    })
    .superRefine((discord, ctx) => {
      if (discord.enabled && discord.bot_token_env === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['bot_token_env'],
          message:
            'enabled = true needs bot_token_env, the variable holding the token (e.g. "DISCORD_BOT_TOKEN")',
        });
      }
      checkSenderIds(discord.senders, ctx);
    }),
);

export type DiscordChannelConfig = z.output<ReturnType<typeof discordChannelSchema>>;
