/**
 * Scheduled runs delivered to a chat. A schedule may name a chat (`oxydra schedule add --notify
 * telegram:<chat id>`): when one of its runs ends, the process that ran it (a gateway, `oxydra
 * scheduler run`, `schedule run-now`) writes the result, or why it failed, into the channel
 * store's outbox under the run's id, and the running `oxydra channels run` sends it (its
 * delivery loop looks for rows other processes wrote). A run is said once: the outbox key is the
 * run's. A schedule may only name a chat its own user talks from: the private chat of a listed
 * sender who maps to that user, or a chat where that user has talked to the bot.
 *
 * A schedule that names no chat uses `[scheduler] notify`, the operator's chat, when its user is
 * the operator's (`default`, `schedule add` without --user) or could have named that chat
 * itself; `--notify none` opts a schedule out. A plugin's channel is named like a built-in one
 * (`--notify webchat:<chat>`, its section `[channels.plugin.webchat]`). On Slack and Discord a listed sender's own id names
 * the direct-message chat with them: the channel opens it when the result is sent (direct.ts).
 */
import type { Kernel } from '@oxydra/kernel';
import { DEFAULT_SCHEDULE_USER, type ScheduleNotification } from '@oxydra/kernel/scheduler';
import { type AgentConfig, type ChannelScheduleTarget, type ChannelStore, UsageError } from '@oxydra/types';
import { NOTIFY_TARGET } from '@oxydra/types/config-full';
import { CHANNEL_NAMES, type ChannelSection } from './platforms.js';
import { pluginChannelSection } from './plugin-channels.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

/** The most of a run's answer a chat is sent; the whole is in the run's session and history. */
const MAX_RESULT_CHARS = 1800; // fits the smallest platform limit (Discord: 2000)
/** `--notify none`: the schedule's results go to no chat, not even `[scheduler] notify`'s (stored as this channel). */
export const NO_CHAT = 'none';

/** `<channel>:<chat id>[:<thread>]`, checked against the configured channels. */
export function parseNotifyTarget(text: string, config: AgentConfig): Omit<ChannelScheduleTarget, 'userId'> {
  const match = NOTIFY_TARGET.exec(text.trim());
  if (!match) {
    throw new UsageError(`--notify ${JSON.stringify(text)}: not <channel>:<chat id>`, {
      hint: "e.g. --notify telegram:123456789 (a person's id names the private chat with them), or --notify none",
    });
  }
  const [, channel, chatId, threadId] = match as unknown as [string, string, string, string | undefined];
  const section = channelSection(config, channel);
  if (!section) {
    const names = [...CHANNEL_NAMES, ...Object.keys(config.channels.plugin)];
    throw new UsageError(`--notify: no channel "${channel}"`, { hint: `use one of ${names.join(', ')}` });
  }
  if (!section.enabled) {
    const heading = sectionHeading(config, channel);
    throw new UsageError(`--notify: [${heading}] is not enabled`, {
      hint: `set enabled = true in [${heading}] (see docs/channels.md)`,
    });
  }
  return { channel, chatId, ...(threadId !== undefined ? { threadId } : {}) };
}

/** A built-in platform's section, or a plugin's channel's (their names never clash). */
function channelSection(config: AgentConfig, name: string): ChannelSection | undefined {
  if ((CHANNEL_NAMES as readonly string[]).includes(name))
    return config.channels[name as (typeof CHANNEL_NAMES)[number]] as ChannelSection;
  return pluginChannelSection(config, name);
}

function sectionHeading(config: AgentConfig, name: string): string {
  return pluginChannelSection(config, name) ? `channels.plugin.${name}` : `channels.${name}`;
}

/**
 * Refuses a chat the schedule's user does not talk from: a private chat of a listed sender of
 * `userId`, or a chat where `userId` has been answered, and nothing else (a schedule must not
 * post into somebody else's chat).
 */
export async function checkNotifyTarget(
  target: Omit<ChannelScheduleTarget, 'userId'>,
  userId: string,
  config: AgentConfig,
  store: Pick<ChannelStore, 'hasSpoken'>,
): Promise<ChannelScheduleTarget> {
  const own = (channelSection(config, target.channel)?.senders ?? []).some(
    (s) =>
      (s.user ?? `${target.channel}-${s.platform_ids[0]}`) === userId &&
      s.platform_ids.includes(target.chatId),
  );
  if (!own && !(await store.hasSpoken(target.channel, target.chatId, userId))) {
    throw new UsageError(
      `--notify ${target.channel}:${target.chatId}: no listed sender of that chat is user "${userId}", the schedule's user`,
      {
        hint: `name the private chat of a [[${sectionHeading(config, target.channel)}.senders]] entry with user = "${userId}", or a chat where ${userId} has talked to the bot`,
      },
    );
  }
  return { ...target, userId };
}

/**
 * Checks `notify` for a schedule of `userId` (before the schedule is created: a refusal leaves
 * nothing); `none` is the opt-out (channel NO_CHAT).
 */
export async function checkedScheduleNotify(
  workspace: string,
  config: AgentConfig,
  userId: string,
  notify: string,
): Promise<ChannelScheduleTarget> {
  if (notify.trim() === NO_CHAT) return { channel: NO_CHAT, chatId: '-', userId };
  const target = parseNotifyTarget(notify, config);
  const store = openChannelStore(channelDbPath(workspace));
  try {
    return await checkNotifyTarget(target, userId, config, store);
  } finally {
    await store.close();
  }
}

/** Stores (or with undefined removes) where schedule `scheduleId` delivers its results. */
export async function saveScheduleNotify(
  workspace: string,
  scheduleId: string,
  target: ChannelScheduleTarget | undefined,
): Promise<void> {
  const store = openChannelStore(channelDbPath(workspace));
  try {
    await store.setScheduleTarget(scheduleId, target);
  } finally {
    await store.close();
  }
}

/** What the chat is told of a finished run. */
export function resultText({ schedule, run, alert, disabled }: ScheduleNotification): string {
  const head = `Scheduled "${schedule.name}"`;
  let body: string;
  if (run.status === 'completed') body = `${head}:\n${run.output?.trim() || '(no answer)'}`;
  else {
    body = `${head} ${run.status}${run.error ? `: ${run.error}` : '.'}`;
    if (alert) body += `\nIt has failed ${schedule.consecutiveFailures} times in a row.`;
    if (disabled) body += `\nThe schedule is paused (${schedule.disabledReason}).`;
  }
  return body.length > MAX_RESULT_CHARS
    ? `${body.slice(0, MAX_RESULT_CHARS)}…\n(the rest: oxydra schedule history ${schedule.id})`
    : body;
}

/**
 * Writes each finished run of this process's scheduler whose schedule names a chat into that
 * channel's outbox (key `schedule:<run id>`); returns the stop. Only when a channel is enabled.
 */
export async function deliverScheduleResults(
  kernel: Pick<Kernel, 'service' | 'config' | 'workspace'>,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const scheduler = await kernel.service('scheduler');
  const store = openChannelStore(channelDbPath(kernel.workspace));
  const chatOf = targetFinder(kernel.config, store);
  let writing: Promise<void> = Promise.resolve();
  const unsubscribe = scheduler.subscribe((notification) => {
    writing = writing.then(async () => {
      const { schedule, run } = notification;
      try {
        const target = await chatOf(schedule.id, schedule.userId);
        if (!target) return;
        await store.enqueue(target.channel, [
          {
            key: `schedule:${run.id}`,
            chatId: target.chatId,
            ...(target.threadId !== undefined ? { threadId: target.threadId } : {}),
            text: resultText(notification),
          },
        ]);
      } catch (error) {
        log(
          `channels: could not queue the result of run ${run.id} for its chat: ${(error as Error).message}`,
        );
      }
    });
  });
  return async () => {
    unsubscribe();
    await writing;
    await store.close();
  };
}

/**
 * Where a schedule's results go: its own chat (checked for its user when set; a changed user is
 * not sent to), none when it opted out, else `[scheduler] notify` when its user may be told there.
 */
function targetFinder(
  config: AgentConfig,
  store: Pick<ChannelStore, 'scheduleTarget' | 'hasSpoken'>,
): (scheduleId: string, userId: string) => Promise<Omit<ChannelScheduleTarget, 'userId'> | undefined> {
  const fallback =
    config.scheduler.notify !== undefined ? parseNotifyTarget(config.scheduler.notify, config) : undefined;
  return async (scheduleId, userId) => {
    const own = await store.scheduleTarget(scheduleId);
    if (own) return own.channel !== NO_CHAT && own.userId === userId ? own : undefined;
    if (!fallback || userId === DEFAULT_SCHEDULE_USER) return fallback;
    try {
      return await checkNotifyTarget(fallback, userId, config, store);
    } catch (error) {
      if (error instanceof UsageError) return undefined; // not this user's chat: results stay off it
      throw error;
    }
  };
}
