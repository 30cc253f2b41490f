/**
 * One process answers a channel at a time (two pollers of one bot get 409s from Telegram; two
 * IMAP readers would answer one mail twice). Before a channel connects, its process takes it in
 * the channel database (`ChannelStore.hold`, one transaction): the record it writes is the same
 * health record the running host then keeps beating, so a holder that died is taken over once
 * its heartbeat is STALE_AFTER_MS old (at once when it ran on this machine and its pid is gone),
 * and one that stopped cleanly at once.
 */
import { hostname } from 'node:os';
import { processAlive } from '@oxydra/sandbox';
import { type ChannelHealth, type ChannelStore, UsageError } from '@oxydra/types';
import { STALE_AFTER_MS } from './health.js';

/** "oxydra gateway (pid 4242 on box, since 2026-11-26T03:20:11Z)": the other process, for a person. */
export function holderText(holder: ChannelHealth): string {
  const since = holder.startedAt.replace(/\.\d+Z$/, 'Z');
  return `${holder.role ?? 'another process'} (pid ${holder.pid} on ${holder.host}, since ${since})`;
}

/** Another process answers the channel: what `oxydra channels run` exits with (2, naming it). */
export class ChannelHeldElsewhere extends UsageError {
  constructor(
    readonly channel: string,
    readonly holder: ChannelHealth,
  ) {
    super(`${channel} is already answered by ${holderText(holder)}`, {
      hint:
        holder.role === 'oxydra gateway'
          ? `the gateway serves the enabled channels: use it, or set [gateway] channels = false and restart it`
          : `stop that process first (one process answers a channel at a time)`,
    });
  }
}

export interface HeldChannel {
  readonly channel: string;
  /** Marks the record stopped, for a channel whose host never started (its host's close does it otherwise). */
  release(): Promise<void>;
}

/**
 * Takes `channel` for this process, described as `role`; throws ChannelHeldElsewhere when
 * another live process holds it.
 */
export async function holdChannel(
  store: ChannelStore,
  channel: string,
  role: string,
  now: () => number = Date.now,
): Promise<HeldChannel> {
  const at = new Date(now()).toISOString();
  const claim: ChannelHealth = { pid: process.pid, host: hostname(), role, startedAt: at, heartbeatAt: at };
  let holder = await store.hold(channel, claim, new Date(now() - STALE_AFTER_MS).toISOString());
  // A holder on this machine whose process is gone (SIGKILLed, crashed) is taken over at once,
  // not after its heartbeat goes stale: unless it beat again meanwhile (then it is another one).
  if (
    holder &&
    holder.host === claim.host &&
    Number.isSafeInteger(holder.pid) &&
    holder.pid > 0 &&
    !processAlive(holder.pid)
  )
    holder = await store.hold(channel, claim, new Date(Date.parse(holder.heartbeatAt) + 1).toISOString());
  if (holder) throw new ChannelHeldElsewhere(channel, holder);
  return {
    channel,
    release: async () => {
      const held = await store.health(channel);
      if (held?.pid === claim.pid && held.host === claim.host && held.stoppedAt === undefined)
        await store.recordHealth(channel, { ...held, stoppedAt: new Date(now()).toISOString() });
    },
  };
}
