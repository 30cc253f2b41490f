/**
 * A channel's health, kept in memory as the host works and written to the channel database on a
 * heartbeat (every few seconds, never per message), so another process (`oxydra channels
 * status`, the gateway, the dashboard) can tell whether the channel is answered, since when, and
 * what went wrong last. A write that fails is logged once and tried again at the next beat: the
 * health record never stops a message.
 */
import { hostname } from 'node:os';
import type { Clock } from '@oxydra/runtime';
import type { ChannelHealth, ChannelStore } from '@oxydra/types';

/** How often a running channel writes its health. */
export const HEARTBEAT_MS = 5_000;
/** A heartbeat older than this means the process is gone (it died without saying). */
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;
/** The longest error text kept (the adapters word errors without the token; this bounds their size). */
const MAX_ERROR_CHARS = 500;

/** An error's text, on one line and bounded, as it is stored. */
export function errorText(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 1)}…` : line;
}

export class HealthRecorder {
  readonly #store: ChannelStore;
  readonly #channel: string;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #log: (line: string) => void;
  /** What is known so far; written once the channel has started. */
  readonly #fields: Partial<ChannelHealth> = {};
  #started = false;
  #timer: unknown;
  #failing = false;

  constructor(options: {
    store: ChannelStore;
    channel: string;
    clock: Clock;
    intervalMs?: number;
    log: (line: string) => void;
  }) {
    this.#store = options.store;
    this.#channel = options.channel;
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? HEARTBEAT_MS;
    this.#log = options.log;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** The channel connected as `botName`: the record starts (and is written at once). */
  async started(botName: string): Promise<void> {
    const now = this.#now();
    Object.assign(this.#fields, { botName, pid: process.pid, host: hostname(), startedAt: now });
    // What this process said it is when it took the channel (holdChannels) stays in the record.
    const held = await this.#store.health(this.#channel).catch(() => undefined);
    if (held?.role !== undefined && held.pid === process.pid && held.host === hostname())
      this.#fields.role = held.role;
    delete this.#fields.stoppedAt;
    this.#started = true;
    await this.#beat();
  }

  received(): void {
    this.#fields.lastReceiveAt = this.#now();
  }

  sent(): void {
    this.#fields.lastSendAt = this.#now();
  }

  failed(message: string): void {
    this.#fields.lastError = errorText(message);
    this.#fields.lastErrorAt = this.#now();
  }

  /** The process stops cleanly: no more beats, and the record says it stopped. */
  async stopped(): Promise<void> {
    this.#clock.clearTimeout(this.#timer);
    if (!this.#started) return;
    this.#started = false;
    this.#fields.stoppedAt = this.#now();
    await this.#write();
  }

  async #beat(): Promise<void> {
    this.#clock.clearTimeout(this.#timer);
    await this.#write();
    if (this.#started) this.#timer = this.#clock.setTimeout(() => void this.#beat(), this.#intervalMs);
  }

  async #write(): Promise<void> {
    this.#fields.heartbeatAt = this.#now();
    try {
      await this.#store.recordHealth(this.#channel, { ...this.#fields } as ChannelHealth);
      this.#failing = false;
    } catch (error) {
      if (!this.#failing)
        this.#log(`${this.#channel}: could not record its health: ${(error as Error).message}`);
      this.#failing = true;
    }
  }
}
