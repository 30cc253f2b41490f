/**
 * The platforms `oxydra channels run` can answer, one entry each: where its configuration is,
 * which environment variables hold its secrets, and how its adapter is opened. The host, the
 * sender policy, the store and the commands are the same for every platform; adding one is a
 * schema file in @oxydra/types, an adapter folder here and an entry in this table (the recipe
 * is in CONTRIBUTING.md, "Add a chat channel"). Each adapter is imported when its channel
 * opens, so a Telegram bot never loads another platform's library.
 */
import { type AgentConfig, type Channel, type ChannelSenderConfig, UsageError } from '@oxydra/types';

type Sections = AgentConfig['channels'];

/** What every platform's section has (its schema adds the platform's own keys). */
export interface ChannelSection {
  enabled: boolean;
  senders: ChannelSenderConfig[];
  agent?: string | undefined;
}

export interface ChannelPlatform<S extends ChannelSection> {
  /** The variables naming its secrets, by key (`bot_token_env` → its value); unset keys left out. */
  secretVariables(section: S): { key: string; variable: string }[];
  /** Opens the adapter (not yet connected). A missing secret is a UsageError naming the variable. */
  open(name: string, section: S, env: NodeJS.ProcessEnv): Promise<Channel>;
}

export const CHANNEL_PLATFORMS: { [K in keyof Sections]: ChannelPlatform<Sections[K]> } = {
  telegram: {
    secretVariables: (section) =>
      section.bot_token_env !== undefined ? [{ key: 'bot_token_env', variable: section.bot_token_env }] : [],
    async open(name, section, env) {
      const token = requireSecret(
        name,
        'bot_token_env',
        section.bot_token_env,
        env,
        'the token @BotFather gave you',
      );
      const { TelegramChannel } = await import('./telegram/adapter.js');
      return new TelegramChannel({
        name,
        token,
        apiRoot: section.api_root,
        pollingTimeoutSecs: section.polling_timeout_secs,
        maxMessageLength: section.max_message_length,
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
