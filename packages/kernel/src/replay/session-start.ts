/**
 * Where a replay's files start: the "before" checkpoint of the session's first run that changed
 * the workspace (each run's before names its session, run-checkpoints.ts). The session's turns
 * before that run changed no file, so they saw those same files. Later turns go on from the files
 * the replay's previous turns left; when a later run's recorded before differs from where the
 * session's previous run left the workspace, something outside the session changed files in
 * between, and the report says so (a note: the replay does not copy outside edits in).
 */
import type { AgentConfig } from '@oxydra/types';
import { checkpointGitDir } from '../services/checkpoints/git.js';
import {
  CheckpointError,
  CheckpointStore,
  GitCommandError,
  GitMissingError,
  restoreCopy,
  TamperedStoreError,
  TooManyFilesError,
} from '../services/checkpoints/index.js';
import { type RunHistory, runsOf } from '../services/history/workspace-history.js';
import { stateStanding } from '../store/state-origin.js';
import { type Recording, recordedCalls } from './recording.js';

/** Tools that may change files: a turn that called one before the first checkpoint is named. */
const CHANGING = new Set(['file_write', 'file_edit', 'file_delete', 'shell_exec', 'vault_copyto']);
/** Paths named in a note; the rest are counted. */
const SHOWN = 5;

/** The files a replay started from, as its report says. */
export type ReplayStart =
  | { from: 'checkpoint'; checkpoint: string; run: string; turn?: number }
  | { from: 'now'; why: string };

export type StartPlan =
  | { found: true; store: CheckpointStore; first: RunHistory; turn?: number; notes: string[] }
  | { found: false; why: string };

const NO_CHECKPOINT = "no checkpoint of this session's start";

/** Finds the session's start checkpoint and what the report should say about its later runs. */
export async function planStart(
  workspace: string,
  config: AgentConfig,
  recording: Recording,
): Promise<StartPlan> {
  // A store that is missing or not this user's is never opened: opening would create or set it aside.
  const standing = stateStanding(checkpointGitDir(workspace)).standing;
  if (standing === 'missing')
    return { found: false, why: `${NO_CHECKPOINT} (this workspace has no checkpoints)` };
  if (standing === 'foreign') {
    return { found: false, why: `${NO_CHECKPOINT} (the checkpoint store here is not this user's own)` };
  }
  let store: CheckpointStore;
  let runs: RunHistory[];
  try {
    store = await CheckpointStore.open(workspace, {
      maxFileBytes: config.checkpoints.max_file_bytes,
      maxFiles: config.checkpoints.max_files,
    });
    runs = runsOf(await store.list())
      .filter((run) => run.kind === 'run' && run.session === recording.sessionId)
      .reverse();
  } catch (error) {
    // A replay without its start is still a replay: the reason goes in the report.
    if (error instanceof GitMissingError)
      return { found: false, why: `${NO_CHECKPOINT} (git is not installed)` };
    if (
      error instanceof GitCommandError ||
      error instanceof CheckpointError ||
      error instanceof TamperedStoreError ||
      error instanceof TooManyFilesError
    ) {
      return { found: false, why: `${NO_CHECKPOINT} (the checkpoints could not be read: ${error.message})` };
    }
    throw error;
  }
  const [first] = runs;
  if (!first) return { found: false, why: NO_CHECKPOINT };
  const turn = turnOf(recording, first);
  const notes = [...unrecordedChanges(recording, turn), ...(await outsideChanges(store, recording, runs))];
  const skipped = first.before.skipped;
  if (skipped.length > 0) {
    notes.push(
      `not in the start checkpoint (too large, or nested repositories), so as they are now: ${shown(skipped)}`,
    );
  }
  return { found: true, store, first, ...(turn !== undefined ? { turn } : {}), notes };
}

/**
 * Makes the scratch copy the session's start; a restore the store refuses (it would overwrite
 * files it never captured) leaves the copy untouched, and the replay goes on from it, said.
 */
export async function restoreStart(
  plan: Extract<StartPlan, { found: true }>,
  copy: string,
  config: AgentConfig,
): Promise<{ start: ReplayStart; notes: string[] }> {
  try {
    const report = await restoreCopy(plan.store, plan.first.before.id, copy, {
      maxFileBytes: config.checkpoints.max_file_bytes,
      maxFiles: config.checkpoints.max_files,
    });
    const notes = [...plan.notes];
    if (report.kept.length > 0) {
      notes.push(
        `left as they are now (not captured in the workspace or the checkpoint): ${shown(report.kept)}`,
      );
    }
    const { run, before } = plan.first;
    return {
      start: {
        from: 'checkpoint',
        checkpoint: before.id,
        run,
        ...(plan.turn !== undefined ? { turn: plan.turn } : {}),
      },
      notes,
    };
  } catch (error) {
    if (
      !(
        error instanceof CheckpointError ||
        error instanceof TamperedStoreError ||
        error instanceof TooManyFilesError
      )
    )
      throw error;
    return {
      start: { from: 'now', why: `the session's start could not be put back (${error.message})` },
      notes: [],
    };
  }
}

/** The recorded turn a run belongs to: the last whose prompt was stored at or before its seq. */
function turnOf(recording: Recording, run: RunHistory): number | undefined {
  if (run.sessionSeq === undefined) return undefined;
  return recording.turns.findLast((turn) => turn.seq <= run.sessionSeq!)?.turn;
}

/** Turns before the first checkpointed one that called a tool able to change files (no checkpoint for them). */
function unrecordedChanges(recording: Recording, firstTurn: number | undefined): string[] {
  if (firstTurn === undefined) return [];
  const earlier = recording.turns
    .filter((turn) => turn.turn < firstTurn)
    .filter((turn) => recordedCalls(turn).some(({ call }) => CHANGING.has(call.name)));
  if (earlier.length === 0) return [];
  return [
    `turn${earlier.length === 1 ? '' : 's'} ${earlier.map((turn) => turn.turn).join(', ')} called tools that can change files ` +
      `but ${earlier.length === 1 ? 'has' : 'have'} no checkpoint: the files start as they were before turn ${firstTurn}`,
  ];
}

/** For each later run of the session: what changed between the previous run's end and its start. */
async function outsideChanges(
  store: CheckpointStore,
  recording: Recording,
  runs: RunHistory[],
): Promise<string[]> {
  const notes: string[] = [];
  for (const [index, run] of runs.entries()) {
    const previous = runs[index - 1];
    if (!previous?.after) continue;
    const changes = await store.diff(previous.after.id, run.before.id);
    if (changes.length === 0) continue;
    const turn = turnOf(recording, run);
    notes.push(
      `${turn !== undefined ? `turn ${turn}` : `run ${run.run}`}: ${changes.length} path(s) changed outside this session ` +
        `before it ran (${shown(changes.map((change) => change.path))}); the replay went on from the files its previous turns left`,
    );
  }
  return notes;
}

function shown(paths: readonly string[]): string {
  const more = paths.length - SHOWN;
  return `${paths.slice(0, SHOWN).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
