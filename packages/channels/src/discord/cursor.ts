/**
 * The Discord channel's durable cursor. Discord's gateway replays nothing to a new session, so
 * the cursor says where to read again with REST after a restart (or a lost session): for each
 * conversation an allowed sender wrote in, the newest message id taken from it, and the newest
 * id seen anywhere (`w`, the watermark, where reading starts in a conversation not listed yet).
 * Message ids are snowflakes, which grow with time, so "after this id" is "after that moment".
 * Stored as JSON text by the host with the messages it accepts, in one transaction.
 */

export interface CursorState {
  /** The newest message id seen in any conversation. */
  w: string;
  /** Per conversation (channel id): the newest message id taken from it. */
  c: Record<string, string>;
}

/** At most this many conversations are read again after a restart (the most recently active). */
export const MAX_TRACKED = 500;

/** Discord's epoch (2015-01-01T00:00:00Z): a snowflake's top bits count milliseconds from it. */
const DISCORD_EPOCH = 1_420_070_400_000n;

export function snowflakeAt(ms: number): string {
  return String((BigInt(Math.max(0, Math.floor(ms))) - DISCORD_EPOCH) << 22n);
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

const newer = (a: string, b: string): boolean => BigInt(a) > BigInt(b);

function freshState(now: number): CursorState {
  return { w: snowflakeAt(now), c: {} };
}

/** The stored cursor; one that is not ours (hand-edited, another version) starts afresh, from now. */
export function decodeCursor(cursor: string | undefined, now: number): CursorState {
  if (cursor === undefined) return freshState(now);
  try {
    const parsed = JSON.parse(cursor) as Partial<CursorState>;
    const snowflake = (v: unknown): v is string => typeof v === 'string' && /^\d{1,20}$/.test(v);
    if (!snowflake(parsed.w) || typeof parsed.c !== 'object' || parsed.c === null) return freshState(now);
    const c: Record<string, string> = {};
    for (const [channel, id] of Object.entries(parsed.c))
      if (snowflake(channel) && snowflake(id)) c[channel] = id;
    return { w: parsed.w, c };
  } catch {
    return freshState(now);
  }
}

export function encodeCursor(state: CursorState): string {
  return JSON.stringify(state);
}

/**
 * The state after a message with `id` in `channel`; `track` when an allowed sender wrote it
 * (only their conversations are read again, so a stranger cannot grow the cursor). Past
 * MAX_TRACKED the conversation quiet the longest is dropped.
 */
export function advance(state: CursorState, channel: string, id: string, track: boolean): CursorState {
  const w = newer(id, state.w) ? id : state.w;
  if (!track) return w === state.w ? state : { w, c: state.c };
  const previous = state.c[channel];
  if (previous !== undefined && !newer(id, previous)) return w === state.w ? state : { w, c: state.c };
  const c = { ...state.c, [channel]: id };
  const channels = Object.keys(c);
  if (channels.length > MAX_TRACKED) {
    const quietest = channels.reduce((a, b) => (newer(c[a]!, c[b]!) ? b : a));
    delete c[quietest];
  }
  return { w, c };
}
