/**
 * The workspace's history (Oxios's GitLayer, the `commit/tag/restore` system calls): each run
 * that changes the workspace is bracketed by checkpoints (kind before/after, its run id in the
 * commit's trailers) in a shadow git under `.oxydra/checkpoints.git`, never the user's `.git`.
 * `undo` puts back the files a run changed as they were before it (others stay as they are
 * now); the state it replaces is itself saved
 * as a run (kind undo), so undoing the undo brings it back. Restores are audited.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { UsageError } from '@oxydra/types';
// Types only: the store (git, capture, restore) is loaded when a run first changes a file or a
// command reads the history, never by a run that only reads and talks.
import type { Checkpoint, CheckpointTag, FileChange, RestoreReport } from '../checkpoints/index.js';
import type { CheckpointStore } from '../checkpoints/store.js';

/** What a restore records through: the kernel's audit chain (KernelAudit, or the held one). */
export interface AuditRecorder {
  record(actor: string, type: string, data: Record<string, unknown>, resource?: string): Promise<unknown>;
}

export interface RunHistory {
  run: string;
  /** "run" for an agent's run, "undo" for an undo or a restore. */
  kind: 'run' | 'undo';
  agent?: string;
  /** The run it undid (kind undo). */
  undoes?: string;
  /** The session the run belongs to (runs since the before checkpoint names it). */
  session?: string;
  /** The seq of the session's last stored message when the run's before was taken (its turn's prompt or later). */
  sessionSeq?: number;
  before: Checkpoint;
  after?: Checkpoint;
}

export interface UndoReport {
  run: string;
  /** The undo's own run id: `oxydra undo` again brings the workspace back. */
  undoRun: string;
  restoredTo: string;
  /** The state the undo replaced. */
  saved: string;
  report: RestoreReport;
}

export interface CheckpointCalls {
  /** A checkpoint of the workspace now (Oxios: commit). */
  commit(message: string, meta?: Record<string, string>): Promise<Checkpoint>;
  tag(name: string, ref?: string): Promise<CheckpointTag>;
  list(limit?: number): Promise<Checkpoint[]>;
  /** Runs that changed the workspace, newest first. */
  runs(limit?: number): Promise<RunHistory[]>;
  /**
   * What changed between two checkpoints, or a checkpoint and the workspace now. `from` may also
   * be a run id (`checkpoints list`'s first column): then the run's before and, when `to` is not
   * given, its after checkpoint.
   */
  diff(from: string, to?: string): Promise<FileChange[]>;
  /** The same change as a unified diff of the files' content. */
  patch(from: string, to?: string): Promise<string>;
  /** The workspace as it was at a checkpoint (the current state saved first). */
  restore(ref: string, actor: string): Promise<UndoReport>;
  /**
   * Puts back what a run (default: the last) changed, as it was before the run; every other file
   * stays as it is. Refused when those files changed again after the run, unless forced.
   */
  undo(options: { run?: string; force?: boolean; actor: string }): Promise<UndoReport>;
}

const LIST_LIMIT = 2000;
/**
 * A run's id: 8 random hex digits (names a run in listings and `undo --run`; not a secret). Taken
 * from a pool filled 256 ids at a time: one randomBytes call per run was on every turn's path.
 */
let idPool = Buffer.alloc(0);
let idAt = 0;
function newRunId(prefix: string): string {
  if (idAt + 4 > idPool.length) {
    idPool = randomBytes(1024);
    idAt = 0;
  }
  idAt += 4;
  return `${prefix}${idPool.toString('hex', idAt - 4, idAt)}`;
}

export class WorkspaceHistory implements CheckpointCalls {
  #store: Promise<CheckpointStore> | undefined;

  constructor(
    readonly workspace: string,
    private readonly options: { maxFileBytes: number; maxFiles?: number; audit: AuditRecorder },
  ) {}

  /** The store, opened (git init) on first use; a missing git is a clear usage error. */
  store(): Promise<CheckpointStore> {
    this.#store ??= this.#open().catch(async (error: unknown) => {
      this.#store = undefined;
      const { GitMissingError } = await import('../checkpoints/git.js');
      if (error instanceof GitMissingError) throw new UsageError(error.message);
      throw error;
    });
    return this.#store;
  }

  async #open(): Promise<CheckpointStore> {
    const { CheckpointStore } = await import('../checkpoints/store.js');
    const { maxFileBytes, maxFiles } = this.options;
    return CheckpointStore.open(this.workspace, {
      maxFileBytes,
      ...(maxFiles !== undefined ? { maxFiles } : {}),
    });
  }

  /** A run id for a new run's checkpoints. */
  newRun(): string {
    return newRunId('r-');
  }

  /** A run changes the workspace from now on: restores and undos are refused until it ends. */
  async runStarted(run: string): Promise<void> {
    await (await this.store()).runStarted(run);
  }

  async runEnded(run: string): Promise<void> {
    await (await this.store()).runEnded(run);
  }

  async commit(message: string, meta: Record<string, string> = {}): Promise<Checkpoint> {
    return (await this.store()).snapshot(message, meta);
  }

  async tag(name: string, ref?: string): Promise<CheckpointTag> {
    const store = await this.store();
    // A ref the user typed (or none: the newest) checked as diff and restore check theirs, so a
    // missing one is a usage error naming the way out, not the store's internal one.
    const target = ref !== undefined ? await this.#existing(store, ref) : (await store.list(1))[0];
    if (!target) {
      throw new UsageError('there is no checkpoint to tag yet', {
        hint: 'a run that changes files takes one; `oxydra checkpoints list` shows them',
      });
    }
    return store.tag(name, target.id);
  }

  async list(limit?: number): Promise<Checkpoint[]> {
    return (await this.store()).list(limit);
  }

  async diff(from: string, to?: string): Promise<FileChange[]> {
    const store = await this.store();
    const range = await this.#range(store, from, to);
    return store.diff(range.from, ...(range.to !== undefined ? [range.to] : []));
  }

  async patch(from: string, to?: string): Promise<string> {
    const store = await this.store();
    const range = await this.#range(store, from, to);
    return store.patch(range.from, ...(range.to !== undefined ? [range.to] : []));
  }

  /** Checkpoint ids for a diff: a run id stands for the run's before (and after, alone). */
  async #range(store: CheckpointStore, from: string, to?: string): Promise<{ from: string; to?: string }> {
    const run = /^[ru]-[0-9a-f]{8}$/.test(from)
      ? (await this.runs(LIST_LIMIT)).find((entry) => entry.run === from)
      : undefined;
    const start = run ? run.before : await this.#existing(store, from);
    if (to !== undefined) return { from: start.id, to: (await this.#existing(store, to)).id };
    // A run that never closed (killed): its changes so far, against the workspace now.
    return run?.after ? { from: start.id, to: run.after.id } : { from: start.id };
  }

  async runs(limit = 50): Promise<RunHistory[]> {
    return runsOf(await this.list(LIST_LIMIT)).slice(0, limit);
  }

  async restore(ref: string, actor: string): Promise<UndoReport> {
    const store = await this.store();
    const target = await this.#existing(store, ref);
    return this.#restore(store, { to: target, undoes: `checkpoint ${target.id.slice(0, 12)}`, actor });
  }

  async undo(options: { run?: string; force?: boolean; actor: string }): Promise<UndoReport> {
    const store = await this.store();
    const runs = await this.runs(LIST_LIMIT);
    const target =
      options.run !== undefined
        ? runs.find((r) => r.run === options.run)
        : runs.find((r) => r.after !== undefined);
    if (!target) {
      throw new UsageError(
        options.run !== undefined
          ? `no run ${options.run} in this workspace's checkpoints`
          : 'nothing to undo: no run has changed this workspace yet',
        { hint: 'list them with `oxydra checkpoints list`' },
      );
    }
    if (!target.after) {
      throw new UsageError(`run ${target.run} has not finished (or ended without its closing checkpoint)`, {
        hint: 'wait for it to end, or restore a checkpoint with `oxydra checkpoints restore <id>`',
      });
    }
    // Only what the run changed goes back; files it never touched stay as they are now.
    const touched = (await store.diff(target.before.id, target.after.id)).map((change) => change.path);
    if (touched.length === 0) {
      throw new UsageError(`run ${target.run} changed nothing in the workspace: nothing to undo`, {
        hint: 'list the runs with `oxydra checkpoints list`',
      });
    }
    if (!options.force) await this.#refuseOverEdits(store, target, touched);
    return this.#restore(store, {
      to: target.before,
      paths: touched,
      undoes: target.run,
      actor: options.actor,
    });
  }

  /** Refuses an undo that would overwrite what changed again, in the run's files, after the run ended. */
  async #refuseOverEdits(store: CheckpointStore, target: RunHistory, touched: string[]): Promise<void> {
    const same = await store.changedSince(target.after!.id, touched);
    if (same.length === 0) return;
    const shown = `${same.slice(0, 5).join(', ')}${same.length > 5 ? ` and ${same.length - 5} more` : ''}`;
    throw new UsageError(
      `refusing to undo run ${target.run}: ${shown} changed again after it ended (those edits would be lost)`,
      {
        hint: '`oxydra undo --force` undoes it anyway; the current state is saved first, so `oxydra undo` again brings it back',
      },
    );
  }

  async #restore(
    store: CheckpointStore,
    plan: { to: Checkpoint; paths?: string[]; undoes: string; actor: string },
  ): Promise<UndoReport> {
    // Early, before the state is saved (the restore checks again under the store's lock).
    await store.refuseWhileRunsActive(
      plan.undoes.startsWith('checkpoint') ? 'restore' : `undo ${plan.undoes}`,
    );
    const undoRun = newRunId('u-');
    const meta = { run: undoRun, undoes: plan.undoes };
    const saved = await store.snapshot(`before undoing ${plan.undoes}`, { ...meta, kind: 'before' });
    const report = await store.restore(plan.to.id, plan.paths !== undefined ? { paths: plan.paths } : {});
    await giveBackToOwner(store.workspace, report.written);
    await store.snapshot(`undid ${plan.undoes}`, { ...meta, kind: 'after' });
    await this.options.audit.record(
      plan.actor,
      'checkpoint_restore',
      {
        undoes: plan.undoes,
        undo_run: undoRun,
        to: plan.to.id,
        saved: saved.id,
        written: report.written.length,
        removed: report.removed.length,
      },
      'workspace',
    );
    return { run: plan.undoes, undoRun, restoredTo: plan.to.id, saved: saved.id, report };
  }

  async #existing(store: CheckpointStore, ref: string): Promise<Checkpoint> {
    const found = await store.get(ref);
    if (!found) {
      throw new UsageError(`no checkpoint "${ref}"`, { hint: 'list them with `oxydra checkpoints list`' });
    }
    return found;
  }
}

/** Checkpoints (newest first, as `list` gives them) grouped into runs, newest first. */
export function runsOf(checkpoints: readonly Checkpoint[]): RunHistory[] {
  const byRun = new Map<string, RunHistory>();
  // Newest first: an after is met before its before, so walk them oldest first.
  for (const checkpoint of [...checkpoints].reverse()) {
    const { run, kind, agent, undoes, session } = checkpoint.meta;
    if (run === undefined) continue;
    if (kind === 'before') {
      const seq = checkpoint.meta['session-seq'] ?? '';
      byRun.set(run, {
        run,
        kind: undoes !== undefined || run.startsWith('u-') ? 'undo' : 'run',
        ...(agent !== undefined ? { agent } : {}),
        ...(undoes !== undefined ? { undoes } : {}),
        ...(session ? { session } : {}),
        ...(session && /^\d{1,15}$/.test(seq) ? { sessionSeq: Number(seq) } : {}),
        before: checkpoint,
      });
    } else if (kind === 'after') {
      const entry = byRun.get(run);
      if (entry) entry.after = checkpoint;
    }
  }
  return [...byRun.values()].reverse();
}

/**
 * Run as root (containers, the gateway as a service), a restore writes files as root into a
 * workspace that belongs to someone else, whose agents (the sandbox runs them as that owner)
 * could then no longer change them. What was written goes back to the workspace's owner, never
 * through a link: a folder of the path swapped for a link to `/etc` meanwhile would otherwise
 * give that owner a root file there. `root` is the store's real path.
 */
async function giveBackToOwner(root: string, written: readonly string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(root);
  if (uid === 0) return;
  const { giveRootEntryNoFollow } = await import('../checkpoints/no-follow.js');
  const done = new Set<string>();
  for (const path of written) {
    // The path and the folders git created for it (those root owns now).
    for (
      let at = path.replace(/\/$/, '');
      at !== '' && !done.has(at);
      at = at.slice(0, Math.max(0, at.lastIndexOf('/')))
    ) {
      done.add(at);
      try {
        await giveRootEntryNoFollow(root, at, uid, gid);
      } catch {
        // Gone again, or on a file system without owners: nothing to give back.
      }
    }
  }
}
