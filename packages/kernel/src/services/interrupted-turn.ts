/**
 * A dead gateway's session turn, reaped by another member of the deployment: its stored turn
 * record fixed (failed, if it still says running) and the error frame its clients get. Whichever
 * process reaps it reports it: a gateway delivers the frame to its own clients of the session and
 * publishes it like any frame of its turns (the gateway's hub-link.ts); a member without clients
 * (`oxydra scheduler run`, `oxydra schedule run-now`, `oxydra mcp serve`) publishes it for the
 * gateways (`reapedTurnReporter`). Every gateway hears a turn's end frames, so the clients
 * attached anywhere learn the turn ended. Here beside DeploymentMember, not in the gateway, so
 * those members report it without loading the gateway (Fastify and all).
 */
import type { SessionStore } from '@oxydra/memory';
import type { ClusterRun, EventBus } from '@oxydra/types';
import type { ServerFrame } from '@oxydra/types/gateway';
import { readTurnRecord, writeTurnRecord } from './turn-records.js';

/**
 * A session's frame (`{"session_id", "frame"}`, the frame as JSON text) for its clients attached
 * to any gateway; the gateways' own messages on it are parsed by their cluster/messages.ts.
 */
export const SESSION_TOPIC = 'session';

const INTERRUPTED_CODE = 'turn_interrupted';

/** A run that holds a session: a gateway session turn's, always a user's. */
export type TurnRun = ClusterRun & { userId: string; sessionId: string; turnId: string };

export const isTurnRun = (run: ClusterRun): run is TurnRun =>
  run.userId !== null && run.sessionId !== null && run.turnId !== null;

/**
 * Fixes the turn's record and returns the frame (JSON text) for the session's clients; undefined
 * when the session's record is of another turn (or none): nothing to report then.
 */
export async function interruptedTurnFrame(store: SessionStore, run: TurnRun): Promise<string | undefined> {
  const index = await markInterrupted(store, run.sessionId, run.turnId);
  if (index === undefined) return undefined;
  const frame: ServerFrame = {
    type: 'error',
    payload: {
      session: { user_id: run.userId, session_id: run.sessionId },
      turn: { turn_id: run.turnId, index },
      code: INTERRUPTED_CODE,
      message:
        'the gateway process running this turn stopped; what it stored before is kept, the rest is lost: send the turn again',
    },
  };
  return JSON.stringify(frame);
}

/** For a member that is not a gateway: its reaped session turns reported to the gateways' clients. */
export function reapedTurnReporter(store: SessionStore, bus: EventBus): (run: ClusterRun) => Promise<void> {
  return async (run) => {
    if (!isTurnRun(run)) return;
    const frame = await interruptedTurnFrame(store, run);
    if (frame === undefined) return;
    await bus.publish(SESSION_TOPIC, JSON.stringify({ session_id: run.sessionId, frame }));
  };
}

/** The turn's record as failed when it still says running; the turn's index, or undefined when it had none. */
async function markInterrupted(
  store: SessionStore,
  sessionId: string,
  turnId: string,
): Promise<number | undefined> {
  const { record, epoch } = await readTurnRecord(store, sessionId);
  if (!record || record.turn_id !== turnId) return undefined;
  if (record.state === 'running') {
    await writeTurnRecord(store, sessionId, { ...record, state: 'failed' }, epoch);
  }
  return record.index;
}
