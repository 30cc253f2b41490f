/**
 * Durable turns. Each completed unit of the conversation goes to the caller's `persist` hook as
 * soon as it is final, and the loop waits for it before going on: a user message on its own, an
 * assistant message together with all of its tool results. A crash can then lose at most the
 * unit in progress, never leave a stored tool call without its result (which no API accepts).
 *
 * A storage failure ends the run with persistence_error: going on would let the conversation
 * the user sees drift from the one that will be resumed.
 */
import type { Message, Provenance } from '@oxydra/types';
import { PersistenceError } from './errors.js';

/**
 * `provenance`: what the run's context holds when the unit is final (the sources besides the
 * operator's words, as the taint policy is handed them): the caller keeps it with what it
 * indexes, so recalling the text later carries it on. The run's own list, grown in place: copy
 * what is kept past the call. The loop always passes it; absent (a unit saved outside a run): none.
 */
export type PersistHook = (messages: Message[], provenance?: readonly Provenance[]) => Promise<void>;

/** Runs a storage call; any failure becomes a PersistenceError saying what could not be done. */
export async function durably<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PersistenceError(`${action}: ${reason}`, { cause: error });
  }
}

/** Hands one completed unit to the hook, if there is one. */
export async function persistUnit(
  persist: PersistHook | undefined,
  messages: Message[],
  provenance: readonly Provenance[],
): Promise<void> {
  if (persist === undefined || messages.length === 0) return;
  await durably('could not save the conversation', () => persist(messages, provenance));
}
