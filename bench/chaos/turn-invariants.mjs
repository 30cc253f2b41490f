// bench/chaos.mjs: invariants (a) to (c), what the clients saw of their turns against the messages
// the schema's conversation_events hold once the processes are stopped.
import { query } from '../deployment.mjs';

/**
 * Each marker's stored user messages. A turn's user message is stored when it starts, its reply
 * when it ends (a later append): a user message "has its reply" when an assistant message follows
 * it in its session before the next user message.
 */
async function storedUserMessages(schema, runId) {
  const stored = await query(
    `SELECT session_id, seq, role, payload FROM ${schema}.conversation_events
     WHERE role IN ('user', 'assistant') ORDER BY session_id, seq`,
  );
  const markerPattern = new RegExp(`chaos-${runId}-c\\d+-n\\d+-[0-9a-f]{6}`, 'g');
  const userRows = new Map(); // marker -> [{ answered }]
  let open = []; // the current session's user rows not yet followed by an assistant message
  let session;
  for (const row of stored) {
    if (row.session_id !== session) {
      session = row.session_id;
      open = [];
    }
    if (row.role === 'assistant') {
      for (const entry of open) entry.answered = true;
      open = [];
      continue;
    }
    open = [];
    for (const marker of new Set(row.payload.match(markerPattern) ?? [])) {
      const entry = { answered: false };
      open.push(entry);
      const list = userRows.get(marker) ?? [];
      list.push(entry);
      userRows.set(marker, list);
    }
  }
  return userRows;
}

/** Invariants (a) no turn answered twice, (b) no committed message lost, (c) none silently lost. */
export async function turnInvariants(schema, { runId, turns }) {
  const userRows = await storedUserMessages(schema, runId);
  const completedTwice = [...turns.values()]
    .filter((turn) => turn.completions > 1)
    .map((turn) => turn.marker);
  const storedTwice = [...userRows].filter(([, rows]) => rows.length > 1).map(([marker]) => marker);
  const missingUser = [];
  const missingReply = [];
  let checked = 0;
  for (const turn of turns.values()) {
    if (turn.outcome !== 'completed') continue;
    checked++;
    const rows = userRows.get(turn.marker);
    if (!rows) missingUser.push(turn.marker);
    else if (!rows.some((row) => row.answered)) missingReply.push(turn.marker);
  }
  // A turn reported "never started" must have nothing stored.
  const notStartedButStored = [...turns.values()]
    .filter((turn) => turn.outcome === 'not_started' && userRows.has(turn.marker))
    .map((turn) => ({ marker: turn.marker, journal: turn.journal }));
  const unaccounted = [...turns.values()].filter((turn) => !turn.outcome || turn.outcome === 'unaccounted');

  return {
    a_no_turn_answered_twice: {
      ok: completedTwice.length === 0 && storedTwice.length === 0,
      completed_twice: completedTwice.length,
      stored_twice: storedTwice.length,
      examples: [...completedTwice, ...storedTwice].slice(0, 5),
    },
    b_no_committed_message_lost: {
      ok: missingUser.length === 0 && missingReply.length === 0,
      completed_checked: checked,
      missing_user_message: missingUser.length,
      missing_reply: missingReply.length,
      examples: [...missingUser, ...missingReply].slice(0, 5),
    },
    c_no_turn_silently_lost: {
      ok: unaccounted.length === 0 && notStartedButStored.length === 0,
      unaccounted: unaccounted.length,
      reported_not_started_but_stored: notStartedButStored.length,
      examples: [
        ...unaccounted.map((turn) => ({ marker: turn.marker, journal: turn.journal })),
        ...notStartedButStored,
      ].slice(0, 5),
    },
  };
}
