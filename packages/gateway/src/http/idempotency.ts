/**
 * Idempotency-Key: a request repeated with the same key (a client's retry) gets the first
 * request's answer, live if it is still running, instead of running the agent again. Keys are
 * per route and user, kept for a day, at most MAX_KEYS_PER_SCOPE of one route and user and
 * MAX_KEYS in all (the oldest finished go first): one user making keys without end pushes out
 * only their own, never another user's answer that a retry of theirs would then run again.
 * A failure before any side effect is forgotten at once, so its retry really runs again.
 */
import { createHash } from 'node:crypto';
import { Recording } from './recording.js';

const TTL_MS = 24 * 3600 * 1000;
const MAX_KEYS = 1000;
const MAX_KEYS_PER_SCOPE = 100;
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
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    this.#sweep(`${scope}\u0000`);
    const existing = this.#entries.get(id);
    if (existing)
      return existing.fingerprint === fingerprint
        ? { kind: 'replay', recording: existing.recording }
        : { kind: 'mismatch' };
    const recording = new Recording(true);
    this.#entries.set(id, { fingerprint, recording, expires: this.now() + TTL_MS });
    return {
      kind: 'new',
      recording,
      forget: () => {
        if (this.#entries.get(id)?.recording === recording) this.#entries.delete(id);
      },
    };
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
