// bench/chaos.mjs: the run's turns counted by outcome (for the progress lines and the report).

/** Turns sent, by outcome; an error other than turn_interrupted counted by its code. */
export function counts(turns) {
  const out = {
    sent: turns.size,
    completed: 0,
    interrupted: 0,
    cancelled: 0,
    not_started: 0,
    unaccounted: 0,
    pending: 0,
    errors: {},
  };
  for (const turn of turns.values()) {
    if (!turn.outcome) out.pending++;
    else if (turn.outcome.startsWith('error:')) {
      const code = turn.outcome.slice(6);
      out.errors[code] = (out.errors[code] ?? 0) + 1;
    } else out[turn.outcome]++;
  }
  return out;
}
