/**
 * `[channels.slack]`: a Slack app answered through Bolt (issue 34). Socket Mode by default (a
 * WebSocket Slack opens to us: no public URL needed), or the Events API over HTTP (a public URL
 * Slack POSTs signed requests to). The bot token, the app token and the signing secret are never
 * in the file: each `*_env` key names the variable holding it.
 */
import { z } from 'zod';
import { once } from '../once.js';
import { channelHostKeys, channelSenderSchema, checkSenderIds, ENV_NAME } from './channels-schema-parts.js';

const envKey = (example: string, what: string) =>
  z.string().regex(ENV_NAME, `an environment variable name, e.g. "${example}"`).optional().describe(what);

const slackSenderSchema = once(() =>
  channelSenderSchema(
    'Slack',
    z
      .string()
      .regex(
        /^[UW][A-Z0-9]{2,20}$/,
        'a Slack user id like "U0123ABCD" (in Slack: your profile, ⋮, "Copy member ID")',
      ),
  ),
);

export const slackChannelSchema = once(() =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('`oxydra channels run` answers this Slack app'),
      mode: z
        .enum(['socket', 'http'])
        .default('socket')
        .describe('"socket": Socket Mode (no public URL); "http": the Events API (Slack POSTs to listen_*)'),
      bot_token_env: envKey(
        'SLACK_BOT_TOKEN',
        'the environment variable holding the bot token (xoxb-...); required when enabled',
      ),
      app_token_env: envKey(
        'SLACK_APP_TOKEN',
        'the environment variable holding the app-level token (xapp-..., scope connections:write); required in socket mode',
      ),
      signing_secret_env: envKey(
        'SLACK_SIGNING_SECRET',
        "the environment variable holding the app's signing secret; required in http mode",
      ),
      listen_host: z.string().min(1).default('127.0.0.1').describe('http mode: the address to listen on'),
      listen_port: z.int().min(1).max(65535).default(3000).describe('http mode: the port to listen on'),
      listen_path: z
        .string()
        .regex(/^\/[A-Za-z0-9._~/-]*$/, 'a path starting with "/", e.g. "/slack/events"')
        .default('/slack/events')
        .describe('http mode: the path of the Request URL (events and interactivity)'),
      api_url: z
        .url({ protocol: /^https?$/ })
        .refine((url) => url.endsWith('/'), 'end it with "/", e.g. "https://slack.com/api/"')
        .default('https://slack.com/api/')
        .describe(
          'the Slack Web API base URL (a test fake); files are downloaded only from its host and files.slack.com',
        ),
      max_message_length: z
        .int()
        .min(100)
        .max(40_000)
        .default(3900)
        .describe(
          'longer answers are split at paragraph, then line boundaries (Slack truncates text past 40,000; 3,900 keeps messages readable)',
        ),
      request_timeout_secs: z
        .int()
        .min(1)
        .max(3600)
        .default(120)
        .describe(
          "how long one Slack Web API call may take, in seconds (Slack's client has no bound of its own); one that runs out is tried again like a dropped connection. Leave room for uploading a file of max_file_bytes",
        ),
      senders: z
        .array(slackSenderSchema())
        .default([])
        .describe('who may talk to the app; anyone else gets no answer (logged once per sender)'),
      // What the host does with the channel's messages, the same keys on every platform.
      ...channelHostKeys(),
    })
    .superRefine((slack, ctx) => {
      if (slack.enabled) {
        const need = (
          key: 'bot_token_env' | 'app_token_env' | 'signing_secret_env',
          example: string,
          why: string,
        ) => {
          if (slack[key] === undefined)
            ctx.addIssue({ code: 'custom', path: [key], message: `${why} needs ${key} (e.g. "${example}")` });
        };
        need('bot_token_env', 'SLACK_BOT_TOKEN', 'enabled = true');
        if (slack.mode === 'socket') need('app_token_env', 'SLACK_APP_TOKEN', 'mode = "socket"');
        else need('signing_secret_env', 'SLACK_SIGNING_SECRET', 'mode = "http"');
      }
      checkSenderIds(slack.senders, ctx);
    }),
);
