/**
 * Scheduled runs delivered to a chat. A schedule may name a chat (`oxydra schedule add --notify
 * telegram:<chat id>`): when one of its runs ends, the process that ran it (a gateway, `oxydra
 * scheduler run`, `schedule run-now`) writes the result, or why it failed, into the channel
 * store's outbox under the run's id, and the running `oxydra channels run` sends it (its
 * delivery loop looks for rows other processes wrote). A run is said once: the outbox key is the
 * run's. A schedule may only name a chat its own user talks from: the private chat of a listed
 * sender who maps to that user, or a chat where that user has talked to the bot.
 */
import type { Kernel } from '@oxydra/kernel';
import type { ScheduleNotification } from '@oxydra/kernel/scheduler';
import { type AgentConfig, type ChannelScheduleTarget, type ChannelStore, UsageError } from '@oxydra/types';
import { CHANNEL_NAMES, type ChannelSection } from './platforms.js';
import { channelDbPath, openChannelStore } from './store/libsql/channel-store.js';

/** The most of a run's answer a chat is sent; the whole is in the run's session and history. */
const MAX_RESULT_CHARS = 1800; // fits the smallest platform limit (Discord: 2000)
const TARGET = /^([a-z][a-z0-9_-]{0,31}):([^:\s]{1,128})(?::([^:\s]{1,64}))?$/;

/** `<channel>:<chat id>[:<thread>]`, checked against the configured channels. */
export function parseNotifyTarget(text: string, config: AgentConfig): Omit<ChannelScheduleTarget, 'userId'> {
  const match = TARGET.exec(text.trim());
  if (!match) {
    throw new UsageError(`--notify ${JSON.stringify(text)}: not <channel>:<chat id>`, {
      hint: "e.g. --notify telegram:123456789 (the chat id is the person's id for a private chat)",
    });
  }
  const [, channel, chatId, threadId] = match as unknown as [string, string, string, string | undefined];
  if (!(CHANNEL_NAMES as readonly string[]).includes(channel)) {
    throw new UsageError(`--notify: no channel "${channel}"`, {
      hint: `use one of ${CHANNEL_NAMES.join(', ')}`,
    });
  }
  const section = config.channels[channel as (typeof CHANNEL_NAMES)[number]] as ChannelSection;
  if (!section.enabled) {
    throw new UsageError(`--notify: [channels.${channel}] is not enabled`, {
      hint: `set enabled = true in [channels.${channel}] (see docs/channels.md)`,
    });
  }
  return { channel, chatId, ...(threadId !== undefined ? { threadId } : {}) };
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
  const section = config.channels[target.channel as (typeof CHANNEL_NAMES)[number]] as ChannelSection;
  const own = section.senders.some(
    (s) =>
      (s.user ?? `${target.channel}-${s.platform_ids[0]}`) === userId &&
      s.platform_ids.includes(target.chatId),
  );
  if (!own && !(await store.hasSpoken(target.channel, target.chatId, userId))) {
    throw new UsageError(
      `--notify ${target.channel}:${target.chatId}: no listed sender of that chat is user "${userId}", the schedule's user`,
      {
        hint: `name the private chat of a [[channels.${target.channel}.senders]] entry with user = "${userId}", or a chat where ${userId} has talked to the bot`,
      },
    );
  }
  return { ...target, userId };
}

/** Checks `notify` for a schedule of `userId` (before the schedule is created: a refusal leaves nothing). */
export async function checkedScheduleNotify(
  workspace: string,
  config: AgentConfig,
  userId: string,
  notify: string,
): Promise<ChannelScheduleTarget> {
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
  let writing: Promise<void> = Promise.resolve();
  const unsubscribe = scheduler.subscribe((notification) => {
    writing = writing.then(async () => {
      const { schedule, run } = notification;
      try {
        const target = await store.scheduleTarget(schedule.id);
        // The target was checked for the schedule's user when it was set; a changed user is not sent to.
        if (!target || target.userId !== schedule.userId) return;
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
