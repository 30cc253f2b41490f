// bench/chaos.mjs: the JSON object the run prints.
import { summarize } from '../stats.mjs';
import { counts } from './counts.mjs';

/** The run's configuration, what came of its turns, its kills and reconnects, and the invariants. */
export function chaosReport(config, state, { runSeconds, invariants, ok }) {
  const c = counts(state.turns);
  return {
    bench: 'chaos',
    config,
    run_seconds: Math.round(runSeconds * 10) / 10,
    turns: {
      sent: c.sent,
      completed: c.completed,
      completed_learned_from_hello_ack: [...state.turns.values()].filter(
        (t) => t.outcome === 'completed' && t.via === 'hello_ack',
      ).length,
      reported_interrupted: c.interrupted,
      interrupted_via_error_frame: [...state.turns.values()].filter(
        (t) => t.outcome === 'interrupted' && t.via === 'frame',
      ).length,
      interrupted_via_hello_ack: [...state.turns.values()].filter(
        (t) => t.outcome === 'interrupted' && t.via === 'hello_ack',
      ).length,
      cancelled: c.cancelled,
      never_started: c.not_started,
      other_errors: c.errors,
      // Sends refused with turn_active (the session's turn before still held), each sent again.
      turn_active_refusals_resent: [...state.turns.values()].reduce((sum, turn) => sum + turn.refusals, 0),
      other_error_examples: state.errorExamples,
      unaccounted: invariants.c_no_turn_silently_lost.unaccounted,
      completed_per_s: Math.round((c.completed / runSeconds) * 10) / 10,
    },
    completed_turn_latency: summarize(state.latencies),
    kills: state.kills.length,
    kill_log: state.kills,
    reconnects: state.reconnects,
    failed_hello_attempts: state.helloFailures,
    invariants,
    ok,
  };
}
