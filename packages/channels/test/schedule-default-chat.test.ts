/**
 * Where a finished run's result is queued (deliverScheduleResults, with a real channel store):
 * the schedule's own chat first, nothing for `--notify none`, else `[scheduler] notify` when the
 * schedule's user is the operator's (`default`) or one who could have named that chat; failure
 * alerts go the same way.
 */
import {
  channelDbPath,
  checkedScheduleNotify,
  deliverScheduleResults,
  NO_CHAT,
  openChannelStore,
  saveScheduleNotify,
} from '@oxydra/channels';
import type { NotificationListener, ScheduleNotification } from '@oxydra/kernel/scheduler';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';

let scratch: TempWorkspace;
let dir: string | undefined;
afterEach(() => {
  if (dir) scratch.cleanup();
  dir = undefined;
});

const configWith = (scheduler: object) =>
  agentConfigSchema.parse({
    providers: { registry: { openai: { provider_type: 'openai' } } },
    scheduler,
    channels: {
      telegram: {
        enabled: true,
        bot_token_env: 'T',
        senders: [
          { platform_ids: ['42'], user: 'alice' },
          { platform_ids: ['51'], user: 'bob' },
        ],
      },
    },
  });

/** Runs `finished` through deliverScheduleResults; resolves with what the telegram outbox holds. */
async function queued(
  scheduler: object,
  own: Record<string, string>,
  finished: { schedule: string; user: string; status?: string; alert?: boolean }[],
) {
  scratch = tempWorkspace({ prefix: 'oxydra-schedule-default-' });
  dir = scratch.dir;
  const config = configWith(scheduler);
  for (const [schedule, notify] of Object.entries(own)) {
    const user = finished.find((f) => f.schedule === schedule)!.user;
    await saveScheduleNotify(dir, schedule, await checkedScheduleNotify(dir, config, user, notify));
  }
  const listeners: NotificationListener[] = [];
  const kernel = {
    config,
    workspace: dir,
    service: async () => ({
      subscribe: (listener: NotificationListener) => {
        listeners.push(listener);
        return () => {};
      },
    }),
  } as unknown as Parameters<typeof deliverScheduleResults>[0];
  const stop = await deliverScheduleResults(kernel, (line) => {
    throw new Error(line);
  });
  for (const [i, f] of finished.entries()) {
    const notification = {
      schedule: { id: f.schedule, name: f.schedule, userId: f.user, consecutiveFailures: 3 },
      run: { id: `run_${i}`, status: f.status ?? 'completed', output: `said ${f.schedule}`, error: 'boom' },
      alert: f.alert ?? false,
      disabled: false,
    } as unknown as ScheduleNotification;
    for (const listener of listeners) listener(notification);
  }
  await stop();
  const store = openChannelStore(channelDbPath(dir));
  try {
    return (await store.unsent('telegram')).map((m) => ({ chatId: m.chatId, text: m.text }));
  } finally {
    await store.close();
  }
}

describe('[scheduler] notify: the chat of schedules that name none', () => {
  it("takes a schedule's own chat first, none for an opt-out, the default for the operator's and the chat's user", async () => {
    const out = await queued({ notify: 'telegram:42' }, { own: 'telegram:51', optedOut: NO_CHAT }, [
      { schedule: 'own', user: 'bob' },
      { schedule: 'optedOut', user: 'alice' },
      { schedule: 'operators', user: 'default' },
      { schedule: 'alices', user: 'alice' },
      // Bob could not have named Alice's chat: the default is not his.
      { schedule: 'bobs', user: 'bob' },
      { schedule: 'failing', user: 'default', status: 'failed', alert: true },
    ]);
    expect(out).toEqual([
      { chatId: '51', text: 'Scheduled "own":\nsaid own' },
      { chatId: '42', text: 'Scheduled "operators":\nsaid operators' },
      { chatId: '42', text: 'Scheduled "alices":\nsaid alices' },
      { chatId: '42', text: 'Scheduled "failing" failed: boom\nIt has failed 3 times in a row.' },
    ]);
  });

  it('without [scheduler] notify, a schedule naming no chat is told in none', async () => {
    expect(await queued({}, {}, [{ schedule: 'operators', user: 'default' }])).toEqual([]);
  });
});
