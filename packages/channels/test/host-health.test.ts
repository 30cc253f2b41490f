/**
 * The channel host's health record and its sends given up on, with a real channel database and a
 * scripted platform that refuses every send: the record says who answers from which process,
 * beats while it runs, carries the last error (on one line, bounded), and says when it stopped;
 * the refused message leaves the outbox and is kept with its error. The real binary on the fake
 * Telegram is in packages/cli/test/channels-ops-e2e.test.ts.
 */
import { ChannelHost, channelDbPath, openChannelStore, SenderPolicy } from '@oxydra/channels';
import { Admission } from '@oxydra/kernel';
import { pollUntil, type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { Channel, ChannelUpdate } from '@oxydra/types';
import { afterEach, expect, it } from 'vitest';

const REFUSAL = `Forbidden: bot was blocked\n by the user ${'x'.repeat(1000)}`;

/** A platform that never delivers an update and refuses every send for good. */
class RefusingChannel implements Channel {
  readonly name = 'telegram';
  readonly capabilities = { edit: true, maxMessageLength: 4096, minEditIntervalMs: 0 };
  sends = 0;
  async start() {
    return { botName: '@health_bot' };
  }
  receive(_cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve([]), { once: true }));
  }
  async send(): Promise<{ messageId: string }> {
    this.sends += 1;
    throw new Error(REFUSAL);
  }
  async edit() {}
  async sendQuestion(): Promise<{ messageId: string }> {
    throw new Error('not asked');
  }
  async answerButton() {}
  async close() {}
}

let scratch: TempWorkspace;
let dir: string | undefined;
afterEach(() => {
  if (dir) scratch.cleanup();
  dir = undefined;
});

it('records its health on a heartbeat and keeps a refused send with its error', async () => {
  scratch = tempWorkspace({ prefix: 'oxydra-host-health-' });
  dir = scratch.dir;
  const store = openChannelStore(channelDbPath(dir));
  // The last process was killed mid-answer (its turn had begun; no session to read, memory being
  // off): the restart owes its sender a note, which is refused.
  const [cut] = await store.accept('telegram', '1', [
    { conversation: '55', messageId: '9', chatId: '55', senderId: '7', userId: 'alice', text: 'hi' },
  ]);
  await store.claim(cut!.seq);
  await store.markTurn(cut!.seq, {});
  const channel = new RefusingChannel();
  const lines: string[] = [];
  const host = new ChannelHost({
    kernel: { sessions: undefined } as never, // no turn runs here
    userSlots: new Admission(1),
    channel,
    store,
    senders: new SenderPolicy('telegram', [], () => {}),
    log: (line) => lines.push(line),
    heartbeatMs: 20,
  });
  await host.start();
  try {
    const failures = await pollUntil(async () => {
      const f = await store.failures('telegram', 10);
      return f.total === 1 ? f : undefined;
    }, 'the refused note kept');
    expect(channel.sends).toBe(1);
    expect(failures.recent[0]).toMatchObject({ key: `interrupted:${cut!.seq}`, chatId: '55' });
    expect(failures.recent[0]!.error).toMatch(/^Forbidden: bot was blocked by the user x+…$/);
    expect(failures.recent[0]!.error.length).toBe(500);
    expect(await store.unsent('telegram')).toEqual([]);
    // The next beats carry the error and move the heartbeat on.
    const first = (await store.health('telegram'))!;
    expect(first).toMatchObject({ botName: '@health_bot', pid: process.pid });
    const later = await pollUntil(async () => {
      const h = await store.health('telegram');
      return h?.lastError && h.heartbeatAt > first.heartbeatAt ? h : undefined;
    }, 'a heartbeat with the error');
    expect(later.lastError).toBe(failures.recent[0]!.error);
    expect(later.stoppedAt).toBeUndefined();
    expect(lines.some((line) => line.includes('gave up sending to chat 55'))).toBe(true);
  } finally {
    await host.close(0);
  }
  const stopped = (await store.health('telegram'))!;
  expect(Date.parse(stopped.stoppedAt!)).not.toBeNaN();
  await store.close();
});
