/**
 * The checkpoint store: snapshots of a workspace into its private git history, diffs between
 * them and the live tree, tags, and exact restores (whole tree or a run's paths). Capturing
 * the workspace (capture.ts), writing git objects (objects.ts), the refs (refs.ts) and
 * restoring (restore.ts, loaded on first use) live in the files beside it.
 */
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { claimWorkspaceState } from '../../store/state-origin.js';
import { clearRunActive, markRunActive, refuseWhileRunsActive } from './active-runs.js';
import { WorkspaceCapture } from './capture.js';
import {
  encodeMeta,
  formatMessage,
  LOG_FORMAT,
  parseLog,
  TRAILER_CHANGED,
  TRAILER_SKIPPED,
} from './commit-log.js';
import { STORE_FILES } from './fs-utils.js';
import { CHECKPOINT_IDENTITY, checkpointGitDir, Git } from './git.js';
import { acquireLock } from './lock.js';
import { objectId, readCheckedObjects, writeObject, writeTrees } from './objects.js';
import {
  createTag,
  HEAD_REF,
  listTags,
  moveHead,
  readHead,
  resolveOrThrow,
  resolveRef,
  storeMac,
} from './refs.js';
import { clearLeftovers, initRepository, repositoryReady, verifyRepository } from './repository.js';
import { readStatCache, type StatCache, statCacheMaxBytes, writeStatCache } from './stat-cache.js';
import {
  compareStates,
  EMPTY_MANIFEST,
  MANIFEST_PATH,
  manifestFromEntries,
  parseManifest,
  serializeManifest,
} from './tree-state.js';
import {
  type Capture,
  type Checkpoint,
  CheckpointError,
  type CheckpointStoreOptions,
  type CheckpointTag,
  type FileChange,
  type GitEntry,
  type RestoreReport,
  TamperedStoreError,
  type TreeState,
} from './types.js';

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_FILES = 100_000;
const EMPTY_STATE: TreeState = { entries: new Map(), manifest: EMPTY_MANIFEST };

/**
 * A private git history of one workspace, kept in `<workspace>/.oxydra/checkpoints.git` with the
 * workspace as its work tree, so the user's own `.git` is never read or written.
 */
export class CheckpointStore {
  readonly gitDir: string;
  private readonly git: Git;
  private readonly lockTimeoutMs: number;
  private readonly capturer: WorkspaceCapture;
  private queue: Promise<void> = Promise.resolve();
  // What the last capture learnt (file stamps and shas, the newest checkpoint's state); read
  // from the repository by the first capture of a process.
  private statCache: StatCache | undefined;
  // The most the stored cache is read: what a capture of max_files files writes.
  private readonly statCacheMaxBytes: number;
  // The objects folder this store borrows (a copy's restore, restore-copy.ts), written by open.
  private readonly alternates: string | undefined;
  /** The capture cache's MAC (stat-cache.ts): a cache a pull planted is no cache. */
  private readonly cacheMac = (text: Uint8Array): string =>
    storeMac(this.git, 'oxydra-capture-cache-v1', [text]);

  private constructor(
    readonly workspace: string,
    options: CheckpointStoreOptions,
  ) {
    this.gitDir = checkpointGitDir(workspace);
    this.git = new Git(workspace, this.gitDir);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
    this.statCacheMaxBytes = statCacheMaxBytes(options.maxFiles ?? DEFAULT_MAX_FILES);
    this.alternates = options.borrow?.objects;
    this.git.lenderHead = options.borrow?.head;
    this.git.borrowedObjects = this.alternates;
    this.capturer = new WorkspaceCapture(
      workspace,
      this.git,
      {
        maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
        maxFiles: options.maxFiles ?? DEFAULT_MAX_FILES,
      },
      options.secretFolders ?? [],
    );
  }

  static async open(workspace: string, options: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    // realpath: git compares the work tree against cwd, and /tmp may itself be a symlink.
    const root = await realpath(workspace);
    if (!(await stat(root)).isDirectory()) throw new CheckpointError(`not a directory: ${workspace}`);
    // A checkpoints.git that came with the folder (a clone, another user) is set aside before
    // anything reads it (the lock below included): its config, hooks or commondir run programs.
    claimWorkspaceState(checkpointGitDir(root), { folder: true });
    const store = new CheckpointStore(root, options);
    const ready = await repositoryReady(store.git);
    if (!ready || store.alternates) {
      await store.exclusive(() => initRepository(store.git, store.alternates), { verify: false });
    }
    return store;
  }

  /** Captures the whole workspace as a new checkpoint on top of the current one. */
  async snapshot(message: string, meta: Record<string, string> = {}): Promise<Checkpoint> {
    const trailers = encodeMeta(meta);
    const text = message.trim() === '' ? 'checkpoint' : message.trimEnd();
    return this.exclusive(async () => {
      const parent = await readHead(this.git);
      const known = this.knownAt(parent);
      const { capture: current, cache } = await this.capturer.capture(known);
      const tree = await this.writeTree(current);
      const before = known?.head?.commit === parent ? known?.head?.state : undefined;
      const changed = compareStates(
        before ?? (parent ? await this.state(parent) : EMPTY_STATE),
        current,
      ).length;
      const seconds = Math.floor(Date.now() / 1000);
      const body = formatMessage(text, [
        ...trailers,
        `${TRAILER_CHANGED}: ${changed}`,
        `${TRAILER_SKIPPED}: ${JSON.stringify(current.manifest.skipped)}`,
      ]);
      const signature = `${CHECKPOINT_IDENTITY} ${seconds} +0000`;
      const commit = `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author ${signature}\ncommitter ${signature}\n\n${body}`;
      const id = await writeObject(this.gitDir, 'commit', Buffer.from(commit, 'utf8'));
      await moveHead(this.git, parent, id);
      this.statCache = { ...cache, head: { commit: id, state: current } };
      writeStatCache(this.gitDir, this.statCache, this.cacheMac);
      return {
        id,
        ...(parent ? { parent } : {}),
        message: text,
        meta: { ...meta },
        createdAt: new Date(seconds * 1000).toISOString(),
        skipped: [...current.manifest.skipped],
        changed,
      };
    });
  }

  /** Checkpoints, newest first. */
  async list(limit?: number): Promise<Checkpoint[]> {
    this.verify();
    const head = await readHead(this.git);
    if (!head) return [];
    const count = limit === undefined ? [] : [`--max-count=${Math.max(0, Math.floor(limit))}`];
    const fields = await this.git.records(['log', '-z', `--format=${LOG_FORMAT}`, ...count, head, '--']);
    return this.checkedLog(fields);
  }

  /** A checkpoint by full or unique-prefix sha, tag name, or any revision (`HEAD~2`). */
  async get(ref: string): Promise<Checkpoint | undefined> {
    this.verify();
    const id = await resolveRef(this.git, ref);
    if (!id) return undefined;
    return this.checkedLog(
      await this.git.records(['log', '-z', '-1', `--format=${LOG_FORMAT}`, id, '--']),
    )[0];
  }

  /**
   * `git log`'s checkpoints, each of whose commit objects must hash to its name: git shows (and
   * walks the parents of) any object file under a commit's name, and `undo` picks a run's
   * checkpoints from their messages. The newest is the recorded branch (refs.ts), so a chain
   * of checked commits from it is the user's own history.
   */
  private checkedLog(fields: string[]): Checkpoint[] {
    const checkpoints = parseLog(fields);
    const ids = checkpoints.map((checkpoint) => checkpoint.id);
    const found = readCheckedObjects(this.gitDir, ids, this.alternates);
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) {
      throw new TamperedStoreError(this.gitDir, `a commit ${missing}`, 'that is no object file Oxydra wrote');
    }
    return checkpoints;
  }

  /** What changed from one checkpoint to another, or to the workspace as it is now. */
  diff(from: string, to?: string): Promise<FileChange[]> {
    return this.exclusive(async () => {
      const before = await this.state(await resolveOrThrow(this.git, from));
      const after =
        to === undefined ? await this.captureNow() : await this.state(await resolveOrThrow(this.git, to));
      return compareStates(before, after);
    });
  }

  /**
   * The content of that change as a unified diff (git's own, with every diff program and
   * textconv turned off; binary files named, not shown), the manifest left out.
   */
  patch(from: string, to?: string): Promise<string> {
    return this.exclusive(async () => {
      const fromId = await resolveOrThrow(this.git, from);
      // The workspace now: its tree is written (as a snapshot would) and compared to that.
      const now = to === undefined ? await this.captureNow() : undefined;
      const toId = now ? await this.writeTree(now) : await resolveOrThrow(this.git, to!);
      // Git reads the trees and blobs it shows without checking them: the trees are checked by
      // state(), and each blob of a changed file on either side here, before git reads it.
      const [before, after] = await Promise.all([this.state(fromId), now ?? this.state(toId)]);
      const shown = new Set<string>();
      for (const [one, other] of [
        [before.entries, after.entries],
        [after.entries, before.entries],
      ] as const) {
        for (const [path, entry] of one) {
          if (other.get(path)?.sha !== entry.sha) shown.add(entry.sha);
        }
      }
      const blobs = [...shown];
      const found = readCheckedObjects(this.gitDir, blobs, this.alternates);
      const missing = blobs.find((sha) => !found.has(sha));
      if (missing !== undefined) {
        throw new TamperedStoreError(this.gitDir, `a blob ${missing}`, 'that is no object file Oxydra wrote');
      }
      const out = await this.git.run([
        'diff',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '--find-renames',
        fromId,
        toId,
        '--',
        '.',
        `:(exclude)${MANIFEST_PATH}`,
      ]);
      return out.stdout.toString('utf8');
    });
  }

  /**
   * Paths whose content, type or mode now differs from the checkpoint, optionally only those
   * equal to or under `paths` (used to refuse an undo over edits the user made since).
   */
  async changedSince(ref: string, paths?: string[]): Promise<string[]> {
    const changes = await this.diff(ref);
    const all = changes.map((change) => change.path);
    if (!paths) return all;
    const wanted = paths.map((path) => path.replace(/^(\.\/)+/, '').replace(/\/+$/, ''));
    return all.filter((path) => {
      const bare = path.endsWith('/') ? path.slice(0, -1) : path;
      return wanted.some((want) => want === '' || bare === want || bare.startsWith(want + '/'));
    });
  }

  /** Creates the lightweight tag `refs/tags/<name>` on a checkpoint (default: the newest). */
  tag(name: string, ref: string = HEAD_REF): Promise<CheckpointTag> {
    return this.exclusive(() => createTag(this.git, name, ref));
  }

  async tags(): Promise<CheckpointTag[]> {
    this.verify();
    return listTags(this.git);
  }

  /**
   * Makes the workspace equal to a checkpoint: bytes, modes, symlinks and directories. Ignored
   * files, files over the size limit and nested repositories are never touched. With `paths`
   * (an undo: what its run changed), only those paths are put back and everything else stays.
   */
  restore(ref: string, options: { paths?: readonly string[] } = {}): Promise<RestoreReport> {
    return this.exclusive(async () => {
      // Under the lock: a run marks itself before its "before" checkpoint, which waits for it.
      await this.refuseWhileRunsActive();
      const target = await resolveOrThrow(this.git, ref);
      const [whole, wanted, { restoreTree }] = await Promise.all([
        this.captureNow(),
        this.state(target),
        import('./restore.js'),
      ]);
      return restoreTree(this.git, whole, wanted, options.paths);
    });
  }

  /** `run` changes the workspace from now on, until `runEnded` (active-runs.ts). */
  runStarted(run: string): Promise<void> {
    return markRunActive(this.gitDir, run);
  }

  runEnded(run: string): Promise<void> {
    return clearRunActive(this.gitDir, run);
  }

  /** A usage error while a run of a live process changes the workspace. */
  refuseWhileRunsActive(doing = 'restore'): Promise<void> {
    return refuseWhileRunsActive(this.gitDir, doing);
  }

  /**
   * What the last capture learnt, for a snapshot on top of `parent`: this process's own, unless
   * another process (an `oxydra run` in the same workspace) snapshotted since; then the cache it
   * left describes `parent`, and saves asking git for that checkpoint's state (two processes).
   */
  private knownAt(parent: string | undefined): StatCache | undefined {
    const memory = this.statCache;
    if (memory && (parent === undefined || memory.head?.commit === parent)) return memory;
    const stored = readStatCache(this.gitDir, this.statCacheMaxBytes, this.cacheMac);
    return stored?.head?.commit === parent || !memory ? stored : memory;
  }

  /** The workspace now, for a diff or a restore: the files it reads are remembered, not committed. */
  private async captureNow(): Promise<Capture> {
    const known = this.statCache ?? readStatCache(this.gitDir, this.statCacheMaxBytes, this.cacheMac);
    const { capture, cache } = await this.capturer.capture(known);
    this.statCache = { ...cache, ...(known?.head ? { head: known.head } : {}) };
    return capture;
  }

  /** Writes a capture's trees, its manifest included, and returns the root tree's sha. */
  private async writeTree(capture: Capture): Promise<string> {
    const manifest = Buffer.from(serializeManifest(capture.manifest), 'utf8');
    const files = new Map<string, GitEntry>(capture.entries);
    files.set(MANIFEST_PATH, { mode: '100644', sha: await writeObject(this.gitDir, 'blob', manifest) });
    return writeTrees(this.gitDir, files);
  }

  /**
   * The entries and manifest of a checkpoint commit. Its commit, trees and manifest must hash to
   * their names (objects.ts), whoever reads it: a restore writes what it says, a diff (undo's
   * check for edits since a run) and a patch show it.
   */
  private async state(commit: string): Promise<TreeState> {
    if (this.statCache?.head?.commit === commit) return this.statCache.head.state;
    const root = /^tree ([0-9a-f]{40})\n/.exec(
      readCheckedObjects(this.gitDir, [commit], this.alternates).get(commit)?.toString('latin1') ?? '',
    )?.[1];
    const [tree, manifest] = await Promise.all([
      this.git.records(['ls-tree', '-r', '-t', '-z', '--full-tree', commit]),
      this.git.run(['cat-file', 'blob', `${commit}:${MANIFEST_PATH}`], { okExitCodes: [128] }),
    ]);
    const entries = new Map<string, GitEntry>();
    const trees: string[] = [];
    let manifestSha: string | undefined;
    for (const record of tree) {
      const tab = record.indexOf('\t');
      const [mode, type, sha] = record.slice(0, tab).split(' ');
      const path = record.slice(tab + 1);
      if (type === 'tree' && sha) trees.push(sha);
      if (path === MANIFEST_PATH) manifestSha = sha;
      if (type !== 'blob' || !mode || !sha || path === MANIFEST_PATH) continue;
      entries.set(path, { mode, sha });
    }
    readCheckedObjects(this.gitDir, root ? [root, ...trees] : trees, this.alternates);
    if (manifest.exitCode === 0 && objectId('blob', manifest.stdout) !== manifestSha) {
      throw new TamperedStoreError(
        this.gitDir,
        `the manifest object ${manifestSha}`,
        'whose content does not hash to its name',
      );
    }
    const parsed = manifest.exitCode === 0 ? parseManifest(manifest.stdout.toString('utf8')) : undefined;
    return { entries, manifest: parsed ?? manifestFromEntries(entries) };
  }

  /** Throws TamperedStoreError when the git dir holds what Oxydra did not write (repository.ts). */
  private verify(): void {
    verifyRepository(this.gitDir, this.alternates);
  }

  /** Runs one operation at a time in this process, and holds the cross-process lock meanwhile. */
  private exclusive<T>(operation: () => Promise<T>, { verify = true } = {}): Promise<T> {
    const run = this.queue.then(async () => {
      const release = await acquireLock(join(this.gitDir, STORE_FILES.lock), this.lockTimeoutMs);
      try {
        await clearLeftovers(this.gitDir, this.workspace);
        if (verify) this.verify();
        return await operation();
      } finally {
        await release();
      }
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
