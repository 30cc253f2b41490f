/**
 * The last turn of each session ({turn_id, index, state}) kept in the session's state, so a
 * client reconnecting after a gateway restart learns how its turn ended. A record still
 * "running" when no turn is live means the gateway stopped mid-turn: that turn failed.
 */
import type { SessionStore } from '@oxydra/memory';
import type { TurnState } from './frames.js';

export const TURN_RECORD_KEY = 'gateway.turn';

export interface TurnRecord {
  turn_id: string;
  /** 1 for the session's first gateway turn. */
  index: number;
  state: TurnState;
}

export interface LoadedRecord {
  record?: TurnRecord;
  /** For compare-and-set writes; null when never written. */
  epoch: number | null;
}

export async function readTurnRecord(store: SessionStore, sessionId: string): Promise<LoadedRecord> {
  const state = await store.getState(sessionId, TURN_RECORD_KEY);
  if (!state) return { epoch: null };
  try {
    return { record: JSON.parse(state.value) as TurnRecord, epoch: state.epoch };
  } catch {
    return { epoch: state.epoch }; // unreadable: start counting again rather than fail the session
  }
}

/** Writes the record; if another writer got there first, re-reads the epoch and writes once more. */
export async function writeTurnRecord(
  store: SessionStore,
  sessionId: string,
  record: TurnRecord,
  epoch: number | null,
): Promise<number> {
  const value = JSON.stringify(record);
  if (await store.setState(sessionId, TURN_RECORD_KEY, value, epoch)) return (epoch ?? 0) + 1;
  const current = await readTurnRecord(store, sessionId);
  if (await store.setState(sessionId, TURN_RECORD_KEY, value, current.epoch)) return (current.epoch ?? 0) + 1;
  throw new Error(`could not record turn ${record.index} of session ${sessionId}: concurrent writers`);
}
