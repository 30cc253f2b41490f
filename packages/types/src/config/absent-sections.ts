/**
 * The values of `[scheduler]` and `[channels]` when a configuration does not name them: the
 * one home the loader fills them from after parsing with the core schema (agent-schema.ts), so
 * a plain `oxydra run` never builds those sections' schemas. They are what the full schema
 * (agent-full-schema.ts) makes of an absent section; packages/types/test/absent-sections.test.ts
 * holds the two equal.
 */
import type { AgentConfig } from './agent-full-schema.js';
import { AGENT_CONFIG_SECTIONS, type AgentCoreConfig } from './agent-schema.js';

type AbsentSections = Pick<AgentConfig, 'scheduler' | 'channels'>;

export const ABSENT_SECTION_DEFAULTS: AbsentSections = {
  scheduler: {
    enabled: false,
    poll_interval_secs: 15,
    max_concurrent: 2,
    max_schedules_per_user: 50,
    max_turns: 10,
    max_cost: 0.5,
    run_timeout_secs: 1800,
    max_run_history: 20,
    min_interval_secs: 60,
    auto_disable_after_failures: 5,
    notify_after_failures: 3,
  },
  channels: {
    telegram: {
      enabled: false,
      polling_timeout_secs: 30,
      max_message_length: 4096,
      senders: [],
      unknown_senders: 'ignore',
      max_file_bytes: 20_971_520,
      max_concurrent_turns: 16,
      mode: 'polling',
      webhook_listen_host: '127.0.0.1',
      webhook_listen_port: 8443,
      api_root: 'https://api.telegram.org',
    },
    slack: {
      enabled: false,
      mode: 'socket',
      listen_host: '127.0.0.1',
      listen_port: 3000,
      listen_path: '/slack/events',
      api_url: 'https://slack.com/api/',
      max_message_length: 3900,
      senders: [],
      unknown_senders: 'ignore',
      max_file_bytes: 20_971_520,
      max_concurrent_turns: 16,
    },
    discord: {
      enabled: false,
      max_message_length: 2000,
      senders: [],
      unknown_senders: 'ignore',
      max_file_bytes: 20_971_520,
      max_concurrent_turns: 16,
      api_url: 'https://discord.com/api',
    },
    email: {
      enabled: false,
      imap: { port: 993, tls: 'implicit' },
      smtp: { port: 465, tls: 'implicit' },
      mailbox: 'INBOX',
      poll_interval_secs: 60,
      require_authentication: true,
      max_message_bytes: 10_000_000,
      max_message_length: 100_000,
      senders: [],
      unknown_senders: 'ignore',
      max_file_bytes: 20_971_520,
      max_concurrent_turns: 16,
    },
    plugin: {},
  },
};

/** A configuration the core schema parsed, with the absent sections' values at their places. */
export function withAbsentSections(core: AgentCoreConfig): AgentConfig {
  const sections: Record<string, unknown> = { ...core, ...structuredClone(ABSENT_SECTION_DEFAULTS) };
  const config: Record<string, unknown> = {};
  for (const key of AGENT_CONFIG_SECTIONS) if (key in sections) config[key] = sections[key];
  return config as AgentConfig;
}

/** The value an absent full-only section has at a key path (undefined elsewhere). */
export function absentSectionValueAt(path: readonly string[]): unknown {
  let current: unknown = ABSENT_SECTION_DEFAULTS;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current === ABSENT_SECTION_DEFAULTS ? undefined : structuredClone(current);
}
