/**
 * What a session frame's JSON text is, read without parsing it: the gateway serialises every
 * frame as `{"type":"…","payload":…}` (JSON.stringify keeps that key order), so its type is the
 * text's first string. Frames pass through the cluster's relay by the hundred per turn (one per
 * streamed delta), and only a turn's start and end change what a process knows of the turn.
 */
import type { TurnRecord } from '@oxydra/kernel/turn-records';

const PREFIX = '{"type":"';

/** The frame's type, or undefined when the text does not start as a frame does (parse it then). */
export function frameType(text: string): string | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const end = text.indexOf('"', PREFIX.length);
  // A type is plain letters and "_": an escape means this is not one of ours.
  if (end < 0 || text.lastIndexOf('\\', end) >= PREFIX.length) return undefined;
  return text.slice(PREFIX.length, end);
}

/** Frames that end a turn, and how it ended: after one, a turn seen running elsewhere is over. */
export const TURN_ENDS: ReadonlyMap<string, TurnRecord['state']> = new Map([
  ['turn_completed', 'completed'],
  ['turn_cancelled', 'cancelled'],
  ['error', 'failed'],
]);

/** A frame that starts or ends a turn: what every process must hear of a session's turns. */
export function boundsTurn(type: string | undefined): boolean {
  return type === undefined || type === 'turn_started' || TURN_ENDS.has(type);
}
