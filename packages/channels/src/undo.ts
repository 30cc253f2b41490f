/**
 * /undo: puts back the files the conversation's last turn changed, through the kernel's
 * checkpoints (the undo `oxydra undo --run <id>` does). Runs are recorded with the session they
 * belong to, so the last turn of this session is found among every run of the workspace; an
 * undo that would overwrite later edits of those files is refused (no --force from a chat).
 */
import { isOxydraError } from '@oxydra/types';
import type { ServiceKernel } from './cost.js';

/** How far back the workspace's runs are looked through for this session's last one. */
const RUNS_LOOKED_AT = 500;

export async function undoReply(
  kernel: ServiceKernel,
  sessionId: string | undefined,
  actor: string,
): Promise<string> {
  if (sessionId === undefined)
    return 'Nothing to undo: memory is off here, so turns are not tracked per conversation.';
  const history = await kernel.service('checkpoints');
  if (!history) return 'Nothing to undo: checkpoints are off here ([checkpoints] enabled = false).';
  const runs = await history.runs(RUNS_LOOKED_AT);
  const last = runs.find((run) => run.kind === 'run' && run.session === sessionId);
  if (!last) return 'Nothing to undo: no turn of this conversation changed a file.';
  if (runs.some((run) => run.kind === 'undo' && run.undoes === last.run))
    return "The last turn's file changes are already undone.";
  try {
    const { report } = await history.undo({ run: last.run, actor });
    return `Undid the last turn's file changes: ${report.written.length} file(s) restored, ${report.removed.length} removed.`;
  } catch (error) {
    // A refusal (files changed again since, nothing changed, a turn still running) is said as it is.
    if (isOxydraError(error)) return `Could not undo: ${error.message}.`;
    throw error;
  }
}
