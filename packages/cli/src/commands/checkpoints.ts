/**
 * `oxydra undo` and `oxydra checkpoints list|diff|restore|tag`: the workspace as it was before
 * a run, from the checkpoints Oxydra takes around every run that changes files (a shadow git
 * under .oxydra/checkpoints.git; the workspace's own .git is never touched).
 */
import type { CheckpointCalls, UndoReport } from '@oxydra/kernel/checkpoints';
import { shortSessionId, UsageError, visibleLine } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { printLines } from '../run/print.js';
import { withWorkspaceServices } from '../run/workspace-services.js';

async function withHistory<T>(use: (history: CheckpointCalls) => Promise<T>): Promise<T> {
  return withWorkspaceServices(['checkpoints'], async ({ checkpoints }) => {
    if (!checkpoints) {
      throw new UsageError(
        'checkpoints are off ([checkpoints] enabled = false), so there is nothing to undo',
        {
          hint: 'turn them on in .oxydra/agent.toml; runs from then on can be undone',
        },
      );
    }
    return use(checkpoints);
  });
}

function printUndo(report: UndoReport, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const { written, removed, modes } = report.report;
  process.stdout.write(
    `undid ${report.run}: ${written.length} file(s) restored, ${removed.length} removed${modes.length ? `, ${modes.length} mode(s) reset` : ''}\n` +
      `(the state it replaced is saved: \`oxydra undo\` again brings it back; this undo is run ${report.undoRun})\n`,
  );
}

export async function runUndo(options: { run?: string; force?: boolean; json?: boolean }): Promise<number> {
  return withHistory(async (history) => {
    printUndo(
      await history.undo({
        ...(options.run !== undefined ? { run: options.run } : {}),
        ...(options.force ? { force: true } : {}),
        actor: 'cli',
      }),
      options.json,
    );
    return EXIT_OK;
  });
}

export async function runCheckpointsList(options: { limit?: string; json?: boolean }): Promise<number> {
  const limit = Number(options.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit: a whole number above 0, got "${options.limit}"`);
  return withHistory(async (history) => {
    const runs = await history.runs(limit);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return EXIT_OK;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs have changed this workspace yet\n');
      return EXIT_OK;
    }
    for (const run of runs) {
      const when = run.before.createdAt.replace('T', ' ').slice(0, 19);
      const what = run.kind === 'undo' ? `undo of ${run.undoes}` : `run of agent ${run.agent ?? 'default'}`;
      const changed = run.after ? `${run.after.changed} file(s) changed` : 'not finished';
      printLines(
        `${run.run}  ${when}  ${what}  ${changed}  before ${run.before.id.slice(0, 12)}${run.after ? ` after ${run.after.id.slice(0, 12)}` : ''}` +
          // The session `sessions replay` starts from this run's before (when it is the session's first).
          `${run.session !== undefined ? `  session ${shortSessionId(run.session)}` : ''}\n`,
      );
    }
    return EXIT_OK;
  });
}

/**
 * What changed: the content as a unified diff (default), the changed paths with `--stat`, or
 * both as JSON. `from` is what `checkpoints list` prints: a run id (its own changes), or a
 * checkpoint id, prefix or tag (against `to`, or the workspace now).
 */
export async function runCheckpointsDiff(
  from: string,
  to: string | undefined,
  options: { json?: boolean; stat?: boolean },
): Promise<number> {
  return withHistory(async (history) => {
    const changes = await history.diff(from, to);
    if (options.json) {
      const patch = options.stat ? undefined : await history.patch(from, to);
      process.stdout.write(
        `${JSON.stringify(patch === undefined ? changes : { changes, patch }, null, 2)}\n`,
      );
    } else if (changes.length === 0) process.stdout.write('no differences\n');
    else if (options.stat) {
      // Paths and contents are what agents wrote: a person reading a diff must see exactly what changed.
      for (const change of changes)
        process.stdout.write(`${change.status.padEnd(8)}  ${visibleLine(change.path)}\n`);
    } else {
      const patch = await history.patch(from, to);
      printLines(patch);
      // What git's diff cannot show: folders (trailing /) and modes beyond its 644/755.
      for (const change of changes.filter((entry) => entry.path.endsWith('/') || entry.status === 'mode'))
        process.stdout.write(`${change.status}: ${visibleLine(change.path)}\n`);
    }
    return EXIT_OK;
  });
}

export async function runCheckpointsRestore(ref: string, options: { json?: boolean }): Promise<number> {
  return withHistory(async (history) => {
    printUndo(await history.restore(ref, 'cli'), options.json);
    return EXIT_OK;
  });
}

export async function runCheckpointsTag(name: string, ref: string | undefined): Promise<number> {
  return withHistory(async (history) => {
    const tag = await history.tag(name, ref);
    process.stdout.write(`tagged ${tag.id.slice(0, 12)} as ${visibleLine(tag.name)}\n`);
    return EXIT_OK;
  });
}
