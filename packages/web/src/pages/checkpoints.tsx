/**
 * Checkpoints: the runs that changed the workspace (newest first), what each changed, and undo
 * (the last run, or any run; refused when its files changed since, unless forced).
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Checkpoint, CheckpointRun, DiffChange } from '../api-types.js';
import { formatTime } from '../format.js';
import { Badge, Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';

/** A checkpoint's id: the API gives the kernel's record (`{id, createdAt, changed}`) or an id. */
function refOf(value: CheckpointRun['before']): string | undefined {
  if (!value) return undefined;
  return typeof value === 'string' ? value : value.id;
}

function runIdOf(run: CheckpointRun): string {
  return run.run_id ?? run.run ?? refOf(run.before) ?? '?';
}

function timeOf(run: CheckpointRun): string | undefined {
  if (run.started_at) return run.started_at;
  const before = run.before;
  return before && typeof before === 'object' ? (before.createdAt ?? before.created_at) : undefined;
}

function filesChanged(run: CheckpointRun): number | undefined {
  if (run.files_changed !== undefined) return run.files_changed;
  const after = run.after;
  return after && typeof after === 'object' ? after.changed : undefined;
}

/** What an undo answered: the kernel's report (`undoRun`, `report.{removed,written,modes}`) or a flat list. */
interface UndoAnswer {
  restored?: unknown[];
  undo_run?: string;
  undoRun?: string;
  report?: { removed?: string[]; written?: string[]; modes?: string[] };
}

function restoredCount(answer: UndoAnswer): number | undefined {
  if (Array.isArray(answer.restored)) return answer.restored.length;
  const report = answer.report;
  if (!report) return undefined;
  return (report.removed?.length ?? 0) + (report.written?.length ?? 0) + (report.modes?.length ?? 0);
}

export function CheckpointsPage() {
  const data = useResource(
    () => api<{ runs: CheckpointRun[]; checkpoints?: Checkpoint[] }>('/api/v1/checkpoints'),
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
          const answer = await api<UndoAnswer>('/api/v1/checkpoints/undo', {
            method: 'POST',
            body: { ...(run ? { run } : {}), ...(force ? { force: true } : {}) },
          });
          const count = restoredCount(answer);
          const again = answer.undo_run ?? answer.undoRun;
          setResult(
            `Undid ${what}${count !== undefined ? `: ${count} path${count === 1 ? '' : 's'} restored` : ''}.` +
              (again ? ` Undoing run ${again} brings it back.` : ''),
          );
        } catch (error) {
          if (!force && error instanceof Error && /changed|force/i.test(error.message)) setRefused(run ?? '');
          throw error;
        }
      })
      .then(() => data.reload());
  };

  const showDiff = (run: CheckpointRun) => {
    const before = refOf(run.before);
    const after = refOf(run.after);
    const id = runIdOf(run);
    if (!before) return;
    void action.run(async () => {
      const answer = await api<{ changes: DiffChange[] }>(
        `/api/v1/checkpoints/${encodeURIComponent(before)}/diff${after ? `?to=${encodeURIComponent(after)}` : ''}`,
      );
      setDiffs((known) => ({ ...known, [id]: answer.changes }));
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
                const id = runIdOf(run);
                const changes = diffs[id];
                const files = filesChanged(run);
                return (
                  <li key={id} class="card" data-run={id}>
                    <div class="card-head">
                      <strong>{id}</strong>
                      {run.kind ? <Badge value={run.kind} tone="neutral" /> : null}
                      <span class="muted small">
                        {formatTime(timeOf(run))}
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
