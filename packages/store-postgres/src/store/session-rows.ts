/**
 * The sessions row as the PostgreSQL stores read it: its columns, its form as a StoredSession,
 * and the read of its stamp, which the session store makes and a session turn's claim sends in
 * its own round trip (claimed-sessions.ts).
 */
import type { SessionStamp, StoredSession } from '@oxydra/types';

export const COLUMNS =
  'id, title, user_id, agent, parent_session_id, created_at, updated_at, channel_origin, archived_at';

export interface SessionRow {
  id: string;
  title: string | null;
  user_id: string | null;
  agent: string | null;
  parent_session_id: string | null;
  created_at: string;
  updated_at: string;
  channel_origin: string | null;
  archived_at: string | null;
}

export function toSession(row: SessionRow): StoredSession {
  const session: StoredSession = { id: row.id, createdAt: row.created_at, updatedAt: row.updated_at };
  if (row.title !== null) session.title = row.title;
  if (row.user_id !== null) session.userId = row.user_id;
  if (row.agent !== null) session.agent = row.agent;
  if (row.parent_session_id !== null) session.parentSessionId = row.parent_session_id;
  if (row.channel_origin !== null) session.channelOrigin = row.channel_origin;
  if (row.archived_at !== null) session.archivedAt = row.archived_at;
  return session;
}

export type StampRow = SessionRow & {
  generation: number;
  last_seq: number;
  last_turn: number;
  last_at: string;
};

/** stamp's read (the claim of a session turn sends it too: ClaimedSessions); with the row's columns when `withSession`. */
export function stampStatement(sessionId: string, withSession: boolean): { text: string; values: unknown[] } {
  return {
    text: `SELECT generation, ${withSession ? `${COLUMNS}, ` : 'created_at, '}last_seq, last_turn, last_at
           FROM sessions WHERE id = $1`,
    values: [sessionId],
  };
}

export function stampOf(row: StampRow, withSession: boolean): SessionStamp {
  return {
    generation: `${row.generation}@${row.created_at}`,
    lastSeq: row.last_seq,
    lastTurn: row.last_turn,
    lastAt: row.last_at,
    ...(withSession ? { session: toSession(row) } : {}),
  };
}
