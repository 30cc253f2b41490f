/**
 * Idempotency-Key: a request repeated with the same key (a client's retry) gets the first
 * request's answer, live if it is still running, instead of running the agent again. Keys are
 * per route and user, kept for a day, at most MAX_KEYS_PER_SCOPE of one route and user and
 * MAX_KEYS in all (the oldest finished go first): one user making keys without end pushes out
 * only their own, never another user's answer that a retry of theirs would then run again.
 * A key keeps its whole answer (a streamed one too), so a route and user's finished answers are
 * also bounded by MAX_KEPT_BYTES_PER_SCOPE, checked as each answer ends: by count alone, one user
 * could have the gateway hold 100 long answers per route for a day.
 * A failure before any side effect is forgotten at once, so its retry really runs again.
 */
import { createHash } from 'node:crypto';
import { Recording } from './recording.js';

const TTL_MS = 24 * 3600 * 1000;
const MAX_KEYS = 1000;
const MAX_KEYS_PER_SCOPE = 100;
/**
 * The bytes of finished answers kept for one route and user: past it their oldest go (the newest
 * is kept whatever its size, for its own retry).
 */
export const MAX_KEPT_BYTES_PER_SCOPE = 16 * 1024 * 1024;
/** Longer keys are refused: a key is an id, not a payload. */
export const MAX_KEY_CHARS = 255;

interface Entry {
  fingerprint: string;
  recording: Recording;
  expires: number;
}

export type Claim =
  | { kind: 'new'; recording: Recording; forget: () => void }
  | { kind: 'replay'; recording: Recording }
  | { kind: 'mismatch' };

export class IdempotencyStore {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  claim(scope: string, key: string, body: unknown): Claim {
    const id = `${scope}\u0000${key}`;
    const prefix = `${scope}\u0000`;
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    this.#sweep(prefix);
    const existing = this.#entries.get(id);
    if (existing)
      return existing.fingerprint === fingerprint
        ? { kind: 'replay', recording: existing.recording }
        : { kind: 'mismatch' };
    const recording: Recording = new Recording({ keep: true, onEnd: () => this.#shed(prefix, recording) });
    this.#entries.set(id, { fingerprint, recording, expires: this.now() + TTL_MS });
    return {
      kind: 'new',
      recording,
      forget: () => {
        if (this.#entries.get(id)?.recording === recording) this.#entries.delete(id);
      },
    };
  }

  /** Bytes kept for a route and user's answers (`scope` as given to claim). */
  keptBytes(scope: string): number {
    let bytes = 0;
    for (const [id, entry] of this.#entries)
      if (id.startsWith(`${scope}\u0000`)) bytes += entry.recording.bytes;
    return bytes;
  }

  /** An answer of `scope` (a prefix) ended: its oldest finished others go while over the byte cap. */
  #shed(scope: string, newest: Recording): void {
    let bytes = 0;
    for (const [id, entry] of this.#entries) if (id.startsWith(scope)) bytes += entry.recording.bytes;
    for (const [id, entry] of this.#entries) {
      if (bytes <= MAX_KEPT_BYTES_PER_SCOPE) return;
      if (id.startsWith(scope) && entry.recording.ended && entry.recording !== newest) {
        this.#entries.delete(id);
        bytes -= entry.recording.bytes;
      }
    }
  }

  /** Drops expired keys, then the oldest finished ones of `scope` (a prefix) and of all, over their caps. */
  #sweep(scope: string): void {
    const now = this.now();
    let mine = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.expires <= now) this.#entries.delete(id);
      else if (id.startsWith(scope)) mine += 1;
    }
    for (const [id, entry] of this.#entries) {
      if (mine < MAX_KEYS_PER_SCOPE) break;
      if (id.startsWith(scope) && entry.recording.ended) {
        this.#entries.delete(id);
        mine -= 1;
      }
    }
    if (this.#entries.size < MAX_KEYS) return;
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size < MAX_KEYS) break;
      if (entry.recording.ended) this.#entries.delete(id);
    }
  }
}
