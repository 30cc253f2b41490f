/**
 * Chunked messages put back together, by (sender, message id). Anyone who may NOTIFY on the
 * database can send chunks that never complete, so what waits is bounded: a message incomplete
 * after `timeoutMs` is dropped, and past `maxPendingMessages` messages or `maxPendingBytes`
 * bytes waiting, the oldest are dropped first. A message never grows past 1 MiB, and a chunk
 * that disagrees with the ones before it (another topic or count) drops its message. Dropping
 * is what the bus promises anyway: at most once.
 */
import { type Frame, MAX_MESSAGE_BYTES } from './frames.js';

export interface ReassemblyLimits {
  /** An incomplete message is dropped this long after its first chunk (default 30 s). */
  timeoutMs: number;
  /** Most bytes of incomplete messages held (default 16 MiB). */
  maxPendingBytes: number;
  /** Most incomplete messages held (default 64). */
  maxPendingMessages: number;
}

const DEFAULT_REASSEMBLY: ReassemblyLimits = {
  timeoutMs: 30_000,
  maxPendingBytes: 16 * 1024 * 1024,
  maxPendingMessages: 64,
};

interface Pending {
  topic: string;
  parts: (Buffer | undefined)[];
  received: number;
  bytes: number;
  started: number;
}

export interface Completed {
  from: string;
  topic: string;
  data: string;
}

export class Reassembler {
  readonly #limits: ReassemblyLimits;
  /** In order of first chunk, so the oldest is first. */
  readonly #pending = new Map<string, Pending>();
  #bytes = 0;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(limits: Partial<ReassemblyLimits> = {}) {
    this.#limits = { ...DEFAULT_REASSEMBLY, ...limits };
  }

  /** What is held now. */
  get pending(): { messages: number; bytes: number } {
    return { messages: this.#pending.size, bytes: this.#bytes };
  }

  /** Takes a frame; returns the message when it is complete. */
  add(frame: Frame): Completed | undefined {
    if (frame.count === 1)
      return { from: frame.from, topic: frame.topic, data: frame.bytes.toString('utf8') };
    this.#sweep(Date.now());
    const key = `${frame.from}\n${frame.id}`;
    let entry = this.#pending.get(key);
    if (entry && (entry.topic !== frame.topic || entry.parts.length !== frame.count)) {
      this.#drop(key);
      return undefined;
    }
    if (!entry) {
      entry = {
        topic: frame.topic,
        parts: new Array(frame.count),
        received: 0,
        bytes: 0,
        started: Date.now(),
      };
      this.#pending.set(key, entry);
      this.#startSweeper();
    }
    if (entry.parts[frame.seq] !== undefined) return undefined; // a repeat
    entry.parts[frame.seq] = frame.bytes;
    entry.received++;
    entry.bytes += frame.bytes.length;
    this.#bytes += frame.bytes.length;
    if (entry.bytes > MAX_MESSAGE_BYTES) {
      this.#drop(key);
      return undefined;
    }
    if (entry.received === frame.count) {
      this.#drop(key);
      return {
        from: frame.from,
        topic: frame.topic,
        data: Buffer.concat(entry.parts as Buffer[]).toString('utf8'),
      };
    }
    // Over a bound: the oldest go first.
    for (const [oldest] of this.#pending) {
      if (
        this.#pending.size <= this.#limits.maxPendingMessages &&
        this.#bytes <= this.#limits.maxPendingBytes
      )
        break;
      this.#drop(oldest);
    }
    return undefined;
  }

  /** Drops everything (the connection was lost, or the bus closed). */
  clear(): void {
    for (const key of [...this.#pending.keys()]) this.#drop(key);
  }

  #drop(key: string): void {
    const entry = this.#pending.get(key);
    if (!entry) return;
    this.#pending.delete(key);
    this.#bytes -= entry.bytes;
    if (this.#pending.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#pending) {
      if (now - entry.started < this.#limits.timeoutMs) break;
      this.#drop(key);
    }
  }

  /** Sweeps while anything waits, so a stream that just stops does not hold its chunks. */
  #startSweeper(): void {
    if (this.#sweeper) return;
    const every = Math.max(10, Math.min(1000, Math.floor(this.#limits.timeoutMs / 2)));
    this.#sweeper = setInterval(() => this.#sweep(Date.now()), every);
    this.#sweeper.unref();
  }
}
