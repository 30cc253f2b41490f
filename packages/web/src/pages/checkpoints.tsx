/**
 * Checkpoints: the runs that changed the workspace (newest first), what each changed, and undo
 * (the last run, or any run; refused when its files changed since, unless forced).
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Checkpoint, CheckpointRun, DiffChange, UndoReport } from '../api-types.js';
import { formatTime } from '../format.js';
import { Badge, Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';

/** Paths an undo touched: removed, written, or with their mode reset. */
function restoredCount(answer: UndoReport): number {
  const { removed, written, modes } = answer.report;
  return removed.length + written.length + modes.length;
}

export function CheckpointsPage() {
  const data = useResource(
    () => api<{ runs: CheckpointRun[]; checkpoints: Checkpoint[] }>('/api/v1/checkpoints'),
    [],
  );
  const [diffs, setDiffs] = useState<Record<string, DiffChange[]>>({});
  const [result, setResult] = useState<string | undefined>();
  const [refused, setRefused] = useState<string | undefined>();
  const action = useAction();

  const undo = (run: string | undefined, force = false) => {
    const what = run ? `run ${run}` : 'the last run';
    if (!confirm(`Undo ${what}? Its files go back to how they were before it.`)) return;
    setResult(undefined);
    setRefused(undefined);
    void action
      .run(async () => {
        try {
          const answer = await api<UndoReport>('/api/v1/checkpoints/undo', {
            method: 'POST',
            body: { ...(run ? { run } : {}), ...(force ? { force: true } : {}) },
          });
          const count = restoredCount(answer);
          setResult(
            `Undid run ${answer.run}: ${count} path${count === 1 ? '' : 's'} restored.` +
              ` Undoing run ${answer.undo_run} brings it back.`,
          );
        } catch (error) {
          if (!force && error instanceof Error && /changed|force/i.test(error.message)) setRefused(run ?? '');
          throw error;
        }
      })
      .then(() => data.reload());
  };

  // A finished run: what it changed; one still going: what changed since it began.
  const showDiff = (run: CheckpointRun) => {
    const after = run.after?.id;
    void action.run(async () => {
      const answer = await api<{ changes: DiffChange[] }>(
        `/api/v1/checkpoints/${encodeURIComponent(run.before.id)}/diff${after ? `?to=${encodeURIComponent(after)}` : ''}`,
      );
      setDiffs((known) => ({ ...known, [run.run]: answer.changes }));
    });
  };

  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Checkpoints">
        <button type="button" class="primary" disabled={action.busy} onClick={() => undo(undefined)}>
          Undo last run
        </button>
        <button type="button" onClick={data.reload}>
          Refresh
        </button>
      </PageHeader>
      {result ? (
        <p class="success-box" role="status">
          {result}
        </p>
      ) : null}
      <ErrorBox error={action.error} />
      {refused !== undefined ? (
        <p>
          <button type="button" class="danger" onClick={() => undo(refused || undefined, true)}>
            Undo anyway (overwrite the later edits)
          </button>
        </p>
      ) : null}
      <Loaded resource={data} what="checkpoints">
        {({ runs }) =>
          runs.length === 0 ? (
            <Empty>No run has changed the workspace yet.</Empty>
          ) : (
            <ul class="cards" aria-label="Runs that changed the workspace">
              {runs.map((run) => {
                const id = run.run;
                const changes = diffs[id];
                const files = run.after?.changed;
                return (
                  <li key={id} class="card" data-run={id}>
                    <div class="card-head">
                      <strong>{id}</strong>
                      <Badge value={run.kind} tone="neutral" />
                      {run.after ? null : <Badge value="running" />}
                      <span class="muted small">
                        {formatTime(run.before.created_at)}
                        {run.agent ? ` · agent ${run.agent}` : ''}
                        {run.undoes ? ` · undid ${run.undoes}` : ''}
                        {files !== undefined ? ` · ${files} file(s) changed` : ''}
                      </span>
                    </div>
                    <div class="card-actions">
                      <button type="button" onClick={() => showDiff(run)} aria-label={`Diff of ${id}`}>
                        Diff
                      </button>
                      <button
                        type="button"
                        disabled={action.busy}
                        onClick={() => undo(id)}
                        aria-label={`Undo ${id}`}
                      >
                        Undo
                      </button>
                    </div>
                    {changes ? (
                      changes.length === 0 ? (
                        <p class="muted small">No file changes.</p>
                      ) : (
                        <ul class="diff" aria-label={`Changes of ${id}`}>
                          {changes.map((change) => (
                            <li key={change.path} class={`diff-${change.status}`}>
                              <Badge value={change.status} /> <code>{change.path}</code>
                            </li>
                          ))}
                        </ul>
                      )
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
