/**
 * `replaySession` loads its implementation (and the testkit's scripted provider) on first use:
 * a kernel that never replays does not parse it.
 */
import type { ReplayOptions, ReplayReport } from './replay-session.js';

export type {
  DivergenceKind,
  ReplayCall,
  ReplayDivergence,
  ReplaySide,
  ReplayTurnReport,
} from './compare.js';
export { WORKSPACE_TOOLS } from './recorded-tools.js';
export type { ReplayOptions, ReplayReport } from './replay-session.js';
export type { ReplayStart } from './session-start.js';

/**
 * Re-runs a stored session against its recorded model replies, offline, and compares what the
 * tools did with the recording (replay-session.ts).
 */
export async function replaySession(options: ReplayOptions): Promise<ReplayReport> {
  const { replaySession: replay } = await import('./replay-session.js');
  return replay(options);
}
