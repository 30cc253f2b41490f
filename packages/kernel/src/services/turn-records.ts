/**
 * The last gateway turn of each session ({turn_id, index, state}) kept in the session's state, so
 * a client reconnecting after a gateway restart learns how its turn ended. A record still
 * "running" when no turn is live means the gateway stopped mid-turn: that turn failed. In the
 * kernel, not the gateway, because any member of a deployment may reap a dead gateway's turn and
 * fix its record (interrupted-turn.ts), and `oxydra scheduler run` does not load the gateway.
 */
import type { SessionStore } from '@oxydra/memory';
import type { SessionStateWrite, StateWriteOptions } from '@oxydra/types';
import type { TURN_STATES } from '@oxydra/types/gateway';

const TURN_RECORD_KEY = 'gateway.turn';

export interface TurnRecord {
  turn_id: string;
  /** 1 for the session's first gateway turn. */
  index: number;
  state: (typeof TURN_STATES)[number];
}

export interface LoadedRecord {
  record?: TurnRecord;
  /** For compare-and-set writes; null when never written. */
  epoch: number | null;
}

/** The record as one compare-and-set write of a transaction of more (the claim's, the turn's end). */
export function turnRecordWrite(record: TurnRecord, epoch: number | null): SessionStateWrite {
  return { key: TURN_RECORD_KEY, value: JSON.stringify(record), expectedEpoch: epoch };
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

/**
 * Writes the record; if another writer got there first, re-reads it and writes once more, with
 * one exception: the end of a turn (any state but running) is not written over another turn's
 * record. That record is newer: this turn was taken for dead and reaped (its process stalled
 * past the deployment's stale limit; the reaper marked it failed), and the session's next turn
 * has started since, on another process. Writing over it would make that turn's client, on
 * reconnecting, read the old turn as the session's last and take its own (stored) turn for one
 * that never started. Written without `relaxed`, the compare-and-set that loses still waits for
 * the store's flush (setState), so the turn's relaxed messages are on disk either way. Returns
 * the epoch now stored. `options` as the store's setState takes them.
 */
export async function writeTurnRecord(
  store: SessionStore,
  sessionId: string,
  record: TurnRecord,
  epoch: number | null,
  options?: StateWriteOptions,
): Promise<number> {
  const value = JSON.stringify(record);
  if (await store.setState(sessionId, TURN_RECORD_KEY, value, epoch, options)) return (epoch ?? 0) + 1;
  const current = await readTurnRecord(store, sessionId);
  if (record.state !== 'running' && current.record && current.record.turn_id !== record.turn_id) {
    return current.epoch ?? 0;
  }
  if (await store.setState(sessionId, TURN_RECORD_KEY, value, current.epoch, options)) {
    return (current.epoch ?? 0) + 1;
  }
  throw new Error(`could not record turn ${record.index} of session ${sessionId}: concurrent writers`);
}
