/**
 * One process answers a channel (hold.ts), against the real libSQL store: a live holder is
 * refused naming it; one that stopped cleanly, went silent, or ran on this machine and is gone
 * (SIGKILLed) is taken over; the running host keeps the role its process took the channel as.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ChannelHeldElsewhere, holdChannel, openChannelStore, STALE_AFTER_MS } from '@oxydra/channels';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { ChannelHealth, ChannelStore } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let scratch: TempWorkspace;
let dir: string;
let store: ChannelStore;

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'oxydra-hold-' });
  dir = scratch.dir;
  store = openChannelStore(join(dir, 'channels.db'));
});

afterEach(async () => {
  await store.close();
  scratch.cleanup();
});

/** A process of this machine: running until killed, or already gone. */
async function childPid(gone: boolean): Promise<{ pid: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', gone ? '' : 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (gone) await exited;
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const record = (pid: number, host: string, at = new Date()): ChannelHealth => ({
  pid,
  host,
  role: 'oxydra gateway',
  startedAt: '2026-11-26T03:20:11.123Z',
  heartbeatAt: at.toISOString(),
});

describe('holdChannel', () => {
  it('refuses a channel a live process of this machine answers, naming it and the fix', async () => {
    const other = await childPid(false);
    try {
      await store.recordHealth('telegram', record(other.pid, hostname()));
      const refused = await holdChannel(store, 'telegram', 'oxydra channels run').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ChannelHeldElsewhere);
      expect((refused as Error).message).toBe(
        `telegram is already answered by oxydra gateway (pid ${other.pid} on ${hostname()}, since 2026-11-26T03:20:11Z)`,
      );
      expect((refused as ChannelHeldElsewhere).hint).toContain('[gateway] channels = false');
      // Nothing written: the holder's record stays.
      expect((await store.health('telegram'))?.pid).toBe(other.pid);
    } finally {
      await other.kill();
    }
  });

  it('takes over at once from a process of this machine that is gone, and from a clean stop', async () => {
    const gone = await childPid(true);
    await store.recordHealth('telegram', record(gone.pid, hostname()));
    const held = await holdChannel(store, 'telegram', 'oxydra channels run');
    expect(await store.health('telegram')).toMatchObject({ pid: process.pid, role: 'oxydra channels run' });
    await held.release();
    expect((await store.health('telegram'))?.stoppedAt).toBeDefined();
    // Stopped cleanly: the next process takes it (here the same one again).
    await holdChannel(store, 'telegram', 'oxydra gateway');
    expect(await store.health('telegram')).toMatchObject({ pid: process.pid, role: 'oxydra gateway' });
  });

  it("waits out another machine's holder until its heartbeat is stale", async () => {
    const now = Date.now();
    await store.recordHealth('telegram', record(1, 'elsewhere', new Date(now - STALE_AFTER_MS + 1000)));
    await expect(holdChannel(store, 'telegram', 'oxydra gateway', () => now)).rejects.toThrow(
      /answered by oxydra gateway \(pid 1 on elsewhere/,
    );
    await holdChannel(store, 'telegram', 'oxydra gateway', () => now + 1001);
    expect((await store.health('telegram'))?.host).toBe(hostname());
  });
});
