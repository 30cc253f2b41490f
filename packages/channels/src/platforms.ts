/**
 * The platforms `oxydra channels run` can answer, one entry each: where its configuration is,
 * which environment variables hold its secrets, and how its adapter is opened. The host, the
 * sender policy, the store and the commands are the same for every platform; adding one is a
 * schema file in @oxydra/types, an adapter folder here and an entry in this table (the recipe
 * is in CONTRIBUTING.md, "Add a chat channel"). Each adapter is imported when its channel
 * opens, so a Telegram bot never loads another platform's library.
 */
import { type AgentConfig, type Channel, type ChannelSenderConfig, UsageError } from '@oxydra/types';

/** The built-in platforms' sections (a plugin's channels are under `plugin`, see plugin-channels.ts). */
type Sections = Omit<AgentConfig['channels'], 'plugin'>;

/** What every platform's section has (its schema adds the platform's own keys). */
export interface ChannelSection {
  enabled: boolean;
  senders: ChannelSenderConfig[];
  /** What a stranger's direct message gets (pairing.ts); a platform without the key ignores them. */
  unknown_senders?: 'ignore' | 'pair' | undefined;
  /** The largest file taken from a chat or sent to it (files.ts); default 20 MB. */
  max_file_bytes?: number | undefined;
  max_concurrent_turns?: number | undefined;
  /** How long one file taken from a chat may take to download (take-files.ts); default 300 s. */
  download_timeout_secs?: number | undefined;
  agent?: string | undefined;
}

export interface ChannelPlatform<S extends ChannelSection> {
  /** The variables naming its secrets, by key (`bot_token_env` → its value); unset keys left out. */
  secretVariables(section: S): { key: string; variable: string }[];
  /** Opens the adapter (not yet connected). A missing secret is a UsageError naming the variable. */
  open(name: string, section: S, env: NodeJS.ProcessEnv): Promise<Channel>;
}

/** The shortest Telegram webhook secret taken: 16 of 64 symbols is 96 bits. */
const MIN_WEBHOOK_SECRET = 16;

export const CHANNEL_PLATFORMS: { [K in keyof Sections]: ChannelPlatform<Sections[K]> } = {
  telegram: {
    secretVariables: (section) => [
      ...(section.bot_token_env !== undefined
        ? [{ key: 'bot_token_env', variable: section.bot_token_env }]
        : []),
      ...(section.mode === 'webhook' && section.secret_token_env !== undefined
        ? [{ key: 'secret_token_env', variable: section.secret_token_env }]
        : []),
    ],
    async open(name, section, env) {
      const token = requireSecret(
        name,
        'bot_token_env',
        section.bot_token_env,
        env,
        'the token @BotFather gave you',
      );
      const webhook =
        section.mode === 'webhook'
          ? {
              url: section.webhook_url!,
              host: section.webhook_listen_host,
              port: section.webhook_listen_port,
              secret: requireSecret(
                name,
                'secret_token_env',
                section.secret_token_env,
                env,
                'a random secret of 1-256 letters, digits, "_" or "-"',
              ),
            }
          : undefined;
      if (webhook && !/^[A-Za-z0-9_-]{1,256}$/.test(webhook.secret)) {
        throw new UsageError(
          `[channels.${name}] secret_token_env names ${section.secret_token_env}, whose value Telegram refuses`,
          {
            hint: 'use 1-256 letters, digits, "_" or "-" (e.g. openssl rand -hex 32)',
          },
        );
      }
      // The secret is all that tells Telegram's POSTs from a stranger's, and a forged update can
      // carry any sender id (the owner's): a short one could be guessed request by request.
      if (webhook && webhook.secret.length < MIN_WEBHOOK_SECRET) {
        throw new UsageError(
          `[channels.${name}] secret_token_env names ${section.secret_token_env}, whose value is ${webhook.secret.length} characters: too short to keep strangers from guessing it`,
          { hint: `use at least ${MIN_WEBHOOK_SECRET} (e.g. openssl rand -hex 32)` },
        );
      }
      const { TelegramChannel } = await import('./telegram/adapter.js');
      return new TelegramChannel({
        name,
        token,
        apiRoot: section.api_root,
        pollingTimeoutSecs: section.polling_timeout_secs,
        maxMessageLength: section.max_message_length,
        ...(webhook ? { webhook } : {}),
      });
    },
  },
  slack: {
    secretVariables: (section) =>
      (['bot_token_env', 'app_token_env', 'signing_secret_env'] as const).flatMap((key) =>
        section[key] !== undefined ? [{ key, variable: section[key] }] : [],
      ),
    async open(name, section, env) {
      const botToken = requireSecret(
        name,
        'bot_token_env',
        section.bot_token_env,
        env,
        'the Bot User OAuth Token (xoxb-...)',
      );
      const appToken =
        section.mode === 'socket'
          ? requireSecret(name, 'app_token_env', section.app_token_env, env, 'the app-level token (xapp-...)')
          : undefined;
      const signingSecret =
        section.mode === 'http'
          ? requireSecret(
              name,
              'signing_secret_env',
              section.signing_secret_env,
              env,
              "the app's signing secret",
            )
          : undefined;
      const { SlackChannel } = await import('./slack/adapter.js');
      return new SlackChannel({
        name,
        mode: section.mode,
        botToken,
        ...(appToken !== undefined ? { appToken } : {}),
        ...(signingSecret !== undefined ? { signingSecret } : {}),
        listen: { host: section.listen_host, port: section.listen_port, path: section.listen_path },
        apiUrl: section.api_url,
        maxMessageLength: section.max_message_length,
        requestTimeoutMs: section.request_timeout_secs * 1000,
      });
    },
  },
  discord: {
    secretVariables: (section) =>
      section.bot_token_env !== undefined ? [{ key: 'bot_token_env', variable: section.bot_token_env }] : [],
    async open(name, section, env) {
      const token = requireSecret(
        name,
        'bot_token_env',
        section.bot_token_env,
        env,
        "the bot's token from the Discord Developer Portal",
      );
      const { DiscordChannel } = await import('./discord/adapter.js');
      return new DiscordChannel({
        name,
        token,
        apiUrl: section.api_url,
        maxMessageLength: section.max_message_length,
        senderIds: section.senders.flatMap((sender) => sender.platform_ids),
      });
    },
  },
  email: {
    secretVariables: (section) =>
      (['imap', 'smtp'] as const).flatMap((server) => {
        const variable = section[server].password_env;
        return variable !== undefined ? [{ key: `${server}.password_env`, variable }] : [];
      }),
    async open(name, section, env) {
      const server = (which: 'imap' | 'smtp') => ({
        host: section[which].host!,
        port: section[which].port,
        tls: section[which].tls,
        user: section[which].user!,
        password: requireSecret(
          name,
          `${which}.password_env`,
          section[which].password_env,
          env,
          `the ${which.toUpperCase()} password`,
        ),
      });
      // Both secrets are read before the adapter (and its mail libraries) is imported.
      const imap = server('imap');
      const smtp = server('smtp');
      const { EmailChannel } = await import('./email/adapter.js');
      return new EmailChannel({
        name,
        address: section.address!,
        imap,
        smtp,
        mailbox: section.mailbox,
        pollIntervalSecs: section.poll_interval_secs,
        requireAuthentication: section.require_authentication,
        authservId: section.trusted_authserv_id,
        aliases: section.aliases,
        requireAddressed: section.require_addressed,
        maxMessageBytes: section.max_message_bytes,
        maxMessageLength: section.max_message_length,
      });
    },
  },
};

export const CHANNEL_NAMES = Object.keys(CHANNEL_PLATFORMS) as (keyof Sections)[];

/**
 * The value of the secret `[channels.<name>] <key>` names. The schema makes the key required when
 * the channel is enabled; an unset variable is a UsageError saying what to export.
 */
export function requireSecret(
  name: string,
  key: string,
  variable: string | undefined,
  env: NodeJS.ProcessEnv,
  what: string,
): string {
  if (variable === undefined) {
    throw new UsageError(`[channels.${name}] needs ${key}`, {
      hint: `set ${key} to the name of the environment variable holding ${what}`,
    });
  }
  const value = env[variable];
  if (!value) {
    throw new UsageError(`[channels.${name}] ${key} names ${variable}, which is not set`, {
      hint: `export ${variable}=<${what}>`,
    });
  }
  return value;
}
