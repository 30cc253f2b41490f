/**
 * The checkpoint store: snapshots of a workspace into its private git history, diffs between
 * them and the live tree, tags, and exact restores (whole tree or a run's paths). The lock,
 * commit messages, manifests and tree comparisons live in the files beside it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { claimWorkspaceState } from '../../store/state-origin.js';
import {
  encodeMeta,
  formatMessage,
  LOG_FORMAT,
  parseLog,
  TRAILER_CHANGED,
  TRAILER_SKIPPED,
} from './commit-log.js';
import {
  compareStrings,
  copyIndex,
  depthOf,
  exists,
  ignoreCode,
  listFiles,
  writeIfDifferent,
} from './fs-utils.js';
import { CHECKPOINT_IDENTITY, checkpointGitDir, Git, joinNul } from './git.js';
import { acquireLock } from './lock.js';
import { pathScope } from './path-scope.js';
import {
  compareStates,
  EMPTY_MANIFEST,
  gitModeBits,
  isSymlink,
  MANIFEST_PATH,
  manifestFromEntries,
  parseManifest,
  parseStage,
  scoped,
  serializeManifest,
} from './tree-state.js';
import {
  type Capture,
  type Checkpoint,
  CheckpointError,
  type CheckpointStoreOptions,
  type CheckpointTag,
  type DirListing,
  type FileChange,
  type GitEntry,
  type Manifest,
  type ManifestEntry,
  type RestoreReport,
  type TreeState,
} from './types.js';

const HEAD_REF = 'refs/heads/checkpoints';
const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

// The work tree is given by GIT_WORK_TREE on every call, so the config names none.
const CONFIG_FILE = `# Written by Oxydra at every open; any other setting here is replaced.
[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tlogallrefupdates = true
`;

const EXCLUDE_FILE = `# Written by Oxydra. The checkpoint store's own data and the user's repository are never captured.
/.oxydra/
/.git
`;
// info/attributes outranks every .gitattributes in the workspace: a checkpoint stores bytes,
// never line-ending conversions, clean/smudge filters or $Id$ expansion.
const ATTRIBUTES_FILE = `# Written by Oxydra: store and restore bytes exactly.
* -text !eol -filter -ident !working-tree-encoding
`;

/**
 * A private git history of one workspace, kept in `<workspace>/.oxydra/checkpoints.git` with the
 * workspace as its work tree, so the user's own `.git` is never read or written.
 */
export class CheckpointStore {
  readonly gitDir: string;
  private readonly git: Git;
  private readonly maxFileBytes: number;
  private readonly lockTimeoutMs: number;
  private queue: Promise<void> = Promise.resolve();
  // Content-addressed, so a hit is always valid: spares reading the parent back on every snapshot.
  private lastState: { readonly commit: string; readonly state: TreeState } | undefined;
  // Directory listings keyed by their stat stamp, and which unknown directories are ignored
  // (forgotten whenever a .gitignore changes): together they spare a readdir per directory and
  // a `git check-ignore` per snapshot.
  private dirCache = new Map<string, DirListing>();
  private readonly ignoredCache = new Map<string, boolean>();

  private constructor(
    readonly workspace: string,
    options: CheckpointStoreOptions,
  ) {
    this.gitDir = checkpointGitDir(workspace);
    this.git = new Git(workspace, this.gitDir);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
  }

  static async open(workspace: string, options: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    // realpath: git compares the work tree against cwd, and /tmp may itself be a symlink.
    const root = await realpath(workspace);
    if (!(await stat(root)).isDirectory()) throw new CheckpointError(`not a directory: ${workspace}`);
    // A checkpoints.git that came with the folder (a clone, another user) is set aside before
    // anything reads it (the lock below included): its config, hooks or commondir run programs.
    claimWorkspaceState(checkpointGitDir(root), { folder: true });
    const store = new CheckpointStore(root, options);
    await store.exclusive(() => store.init());
    return store;
  }

  private async init(): Promise<void> {
    const info = join(this.gitDir, 'info');
    if (!(await exists(join(this.gitDir, 'HEAD')))) {
      // No template: sample hooks and a description file have no use here.
      await this.git.run(['init', '--quiet', '--template=']);
    }
    // The whole config is ours, rewritten at every open: nothing else configures this repository.
    await writeIfDifferent(join(this.gitDir, 'config'), CONFIG_FILE);
    // HEAD names our branch so that `HEAD~1` and friends mean "the checkpoint before".
    await this.git.run(['symbolic-ref', 'HEAD', HEAD_REF]);
    await mkdir(info, { recursive: true });
    await writeIfDifferent(join(info, 'exclude'), EXCLUDE_FILE);
    await writeIfDifferent(join(info, 'attributes'), ATTRIBUTES_FILE);
    // Hides our repository from the user's own `git status` without touching their .git.
    await writeIfDifferent(join(this.gitDir, '.gitignore'), '*\n');
  }

  /** Captures the whole workspace as a new checkpoint on top of the current one. */
  async snapshot(message: string, meta: Record<string, string> = {}): Promise<Checkpoint> {
    const trailers = encodeMeta(meta);
    const text = message.trim() === '' ? 'checkpoint' : message.trimEnd();
    return this.exclusive(async () => {
      const parent = await this.head();
      const previous = this.lastState?.commit === parent ? this.lastState?.state : undefined;
      const current = await this.capture(this.git.indexFile);
      const blob = await this.writeBlob(serializeManifest(current.manifest));
      await this.git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},${MANIFEST_PATH}`]);
      const tree = await this.git.text(['write-tree']);
      const empty: TreeState = { entries: new Map(), manifest: EMPTY_MANIFEST };
      const before = previous ?? (parent ? await this.state(parent) : empty);
      const changed = compareStates(before, current).length;
      const seconds = Math.floor(Date.now() / 1000);
      const body = formatMessage(text, [
        ...trailers,
        `${TRAILER_CHANGED}: ${changed}`,
        `${TRAILER_SKIPPED}: ${JSON.stringify(current.manifest.skipped)}`,
      ]);
      // The commit object and the ref are written here, not by `git commit-tree` and `git
      // update-ref`: two processes fewer per snapshot (each costs 3-5 ms to start).
      const signature = `${CHECKPOINT_IDENTITY} ${seconds} +0000`;
      const id = await this.writeObject(
        'commit',
        `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author ${signature}\ncommitter ${signature}\n\n${body}`,
      );
      await this.moveHead(parent, id);
      this.lastState = { commit: id, state: current };
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
    if (!(await this.head())) return [];
    const count = limit === undefined ? [] : [`--max-count=${Math.max(0, Math.floor(limit))}`];
    const fields = await this.git.records(['log', '-z', `--format=${LOG_FORMAT}`, ...count, HEAD_REF, '--']);
    return parseLog(fields);
  }

  /** A checkpoint by full or unique-prefix sha, tag name, or any revision (`HEAD~2`). */
  async get(ref: string): Promise<Checkpoint | undefined> {
    const id = await this.resolve(ref);
    if (!id) return undefined;
    return parseLog(await this.git.records(['log', '-z', '-1', `--format=${LOG_FORMAT}`, id, '--']))[0];
  }

  /** What changed from one checkpoint to another, or to the workspace as it is now. */
  diff(from: string, to?: string): Promise<FileChange[]> {
    return this.exclusive(async () => {
      const before = await this.state(await this.resolveOrThrow(from));
      const after =
        to === undefined ? await this.captureNow() : await this.state(await this.resolveOrThrow(to));
      return compareStates(before, after);
    });
  }

  /**
   * The content of that change as a unified diff (git's own, with every diff program and
   * textconv turned off; binary files named, not shown), the manifest left out.
   */
  patch(from: string, to?: string): Promise<string> {
    return this.exclusive(async () => {
      const fromId = await this.resolveOrThrow(from);
      const diff = ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--find-renames'];
      const scope = ['--', '.', `:(exclude)${MANIFEST_PATH}`];
      if (to !== undefined) {
        const toId = await this.resolveOrThrow(to);
        return (await this.git.run([...diff, fromId, toId, ...scope])).stdout.toString('utf8');
      }
      // The workspace now: staged into a scratch index (as captureNow does), compared to that.
      return this.withScratchIndex(async (index) => {
        await this.capture(index);
        const out = await this.git.run([...diff, '--cached', fromId, ...scope], { indexFile: index });
        return out.stdout.toString('utf8');
      });
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
    return this.exclusive(async () => {
      const full = `refs/tags/${name}`;
      const valid = name !== '' && !name.startsWith('-') && !name.includes('\0');
      if (!valid || (await this.git.run(['check-ref-format', full], { okExitCodes: [1] })).exitCode !== 0) {
        throw new CheckpointError(`invalid checkpoint tag name: ${JSON.stringify(name)}`);
      }
      if (await this.git.text(['rev-parse', '--verify', '-q', full], { okExitCodes: [1] })) {
        throw new CheckpointError(`checkpoint tag "${name}" already exists`);
      }
      const id = await this.resolveOrThrow(ref);
      // '' as the old value: fail if the tag appeared in between.
      await this.git.run(['update-ref', full, id, '']);
      return { name, id };
    });
  }

  async tags(): Promise<CheckpointTag[]> {
    // Ref names cannot hold newlines or spaces (check-ref-format), so lines are safe here.
    const out = await this.git.text([
      'for-each-ref',
      '--format=%(refname:strip=2) %(objectname)',
      'refs/tags',
    ]);
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const space = line.lastIndexOf(' ');
        return { name: line.slice(0, space), id: line.slice(space + 1) };
      });
  }

  /**
   * Makes the workspace equal to a checkpoint: bytes, modes, symlinks and directories. Ignored
   * files, files over the size limit and nested repositories are never touched. With `paths`
   * (an undo: what its run changed), only those paths are put back and everything else stays.
   */
  restore(ref: string, options: { paths?: readonly string[] } = {}): Promise<RestoreReport> {
    return this.exclusive(async () => {
      const target = await this.resolveOrThrow(ref);
      const [whole, wholeWanted] = await Promise.all([this.captureNow(), this.state(target)]);
      const scope = pathScope(options.paths);
      const current = scoped(whole, scope, undefined);
      const wanted = scoped(wholeWanted, scope, whole.manifest);
      // Skipped now (too large, nested repository) or skipped then: never ours to touch.
      const skipped = new Set([...current.manifest.skipped, ...wanted.manifest.skipped]);
      const skippedDirs = [...skipped].filter((skip) => skip.endsWith('/'));
      const isKept = (path: string) => skipped.has(path) || skippedDirs.some((dir) => path.startsWith(dir));
      const kept = new Set<string>();
      const toRemove: string[] = [];
      for (const path of current.entries.keys()) {
        if (wanted.entries.has(path)) continue;
        if (isKept(path)) kept.add(path);
        else toRemove.push(path);
      }
      const toWrite: string[] = [];
      for (const [path, entry] of wanted.entries) {
        const now = current.entries.get(path);
        // Same bytes, only the exec bit differs: the manifest pass fixes the mode in place.
        const sameBytes = now && now.sha === entry.sha && isSymlink(now) === isSymlink(entry);
        if (sameBytes) continue;
        if (isKept(path)) kept.add(path);
        else toWrite.push(path);
      }
      // Check everything before changing anything: a refused restore leaves no half-state.
      const plan = await this.planWrites(toWrite, new Set(toRemove), whole);
      for (const path of plan.kept) kept.add(path);

      await Promise.all(
        toRemove.map((path) => unlink(join(this.workspace, path)).catch(ignoreCode('ENOENT'))),
      );
      const removed = [...toRemove];
      // Kept: every folder the checkpoint has, in scope or not (an emptied one stays if it was there).
      removed.push(...(await this.pruneDirectories(current.manifest, wholeWanted.manifest, toRemove)));
      if (plan.write.length > 0) await this.checkout(target, plan.write);
      const written = new Set(plan.write);
      const { modes, created } = await this.applyManifest(wanted.manifest, current.manifest, written, isKept);
      return {
        removed: removed.sort(),
        written: [...plan.write, ...created].sort(),
        modes: modes.sort(),
        kept: [...kept].sort(),
      };
    });
  }

  // ---- capture -------------------------------------------------------------------------

  /** Captures the workspace into a throwaway copy of the index (keeps its stat cache, moves nothing). */
  private captureNow(): Promise<Capture> {
    return this.withScratchIndex((index) => this.capture(index));
  }

  /** A copy of the index to stage the workspace into, so the real index keeps the last checkpoint. */
  private async withScratchIndex<T>(use: (index: string) => Promise<T>): Promise<T> {
    const index = join(this.gitDir, `tmp-index-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await copyIndex(this.git.indexFile, index);
      return await use(index);
    } finally {
      await rm(index, { force: true });
    }
  }

  /**
   * Stages the workspace into `indexFile` and describes it. Only files whose stat changed are
   * hashed (git's index stat cache); every captured entry is lstat'ed for its full mode, since
   * git notices neither a 644→600 chmod nor directory modes.
   */
  private async capture(indexFile: string): Promise<Capture> {
    const pending = await this.git.records(
      ['ls-files', '-z', '--others', '--modified', '--exclude-standard'],
      {
        indexFile,
      },
    );
    const skipped = new Set<string>();
    const stats = new Map<string, Stats | undefined>();
    let ignoreRulesChanged = false;
    await Promise.all(
      pending.map(async (path) => {
        if (path === MANIFEST_PATH) return;
        // An untracked nested repository: git would record a gitlink, which restores as an empty dir.
        if (path.endsWith('/')) return void skipped.add(path);
        if (path === '.gitignore' || path.endsWith('/.gitignore')) ignoreRulesChanged = true;
        const info = await lstat(join(this.workspace, path)).catch(() => undefined);
        stats.set(path, info);
        if (info?.isFile() && info.size > this.maxFileBytes) skipped.add(path);
      }),
    );
    if (ignoreRulesChanged) this.ignoredCache.clear();
    const pathspecs = ['.', ...[...skipped].map((path) => `:(exclude,literal)${path.replace(/\/$/, '')}`)];
    await this.git.run(['add', '-A', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      indexFile,
      input: joinNul(pathspecs),
    });
    const [staged, ignoredTracked] = await Promise.all([
      this.git.records(['ls-files', '-z', '--stage'], { indexFile }),
      // `add -A` never drops a tracked file that a new .gitignore rule now covers; we must.
      ignoreRulesChanged
        ? this.git.records(['ls-files', '-z', '--cached', '--ignored', '--exclude-standard'], { indexFile })
        : Promise.resolve([]),
    ]);
    const entries = parseStage(staged);
    const drop = new Set(ignoredTracked);
    if (skipped.size > 0) {
      const skippedDirs = [...skipped].filter((skip) => skip.endsWith('/'));
      for (const path of entries.keys()) {
        if (skipped.has(path) || skippedDirs.some((dir) => path.startsWith(dir))) drop.add(path);
      }
    }
    if (drop.size > 0) {
      await this.git.run(['update-index', '--force-remove', '-z', '--stdin'], {
        indexFile,
        input: joinNul([...drop]),
      });
      for (const path of drop) entries.delete(path);
    }
    // Synchronous on purpose: a thousand lstat calls take ~3 ms in a loop, several times
    // that as promises, and the event loop is only held for that long.
    const files = [...entries].map(([path, entry]): ManifestEntry => {
      const type = entry.mode === '120000' ? 'symlink' : 'file';
      const info = stats.has(path)
        ? stats.get(path)
        : lstatSync(join(this.workspace, path), { throwIfNoEntry: false });
      // A file that vanished since `git add`: fall back to what git recorded.
      return { path, type, mode: info ? info.mode & 0o7777 : gitModeBits(entry.mode) };
    });
    const dirs = await this.scanDirectories(entries, skipped, indexFile);
    const manifestEntries = [...files, ...dirs].sort((a, b) => compareStrings(a.path, b.path));
    return {
      entries,
      manifest: { version: 1, entries: manifestEntries, skipped: [...skipped].sort(compareStrings) },
    };
  }

  /**
   * Every non-ignored directory with its mode. Directories holding no captured file (empty
   * ones, or ones with only skipped files) are invisible to git, so we list the known ones
   * and ask git which unknown children are ignored. A directory whose mtime and ctime did not
   * move since the last scan has the same children, so its listing is reused.
   */
  private async scanDirectories(
    entries: Map<string, GitEntry>,
    skipped: Set<string>,
    indexFile: string,
  ): Promise<ManifestEntry[]> {
    const dirs = new Set<string>();
    for (const path of entries.keys()) {
      for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
        const dir = path.slice(0, cut);
        if (dirs.has(dir)) break;
        dirs.add(dir);
      }
    }
    const result: ManifestEntry[] = [];
    const seen = new Map<string, DirListing>();
    let frontier = ['', ...dirs];
    while (frontier.length > 0) {
      const candidates: string[] = [];
      await Promise.all(
        frontier.map(async (dir) => {
          const info = await lstat(join(this.workspace, dir), { bigint: true }).catch(() => undefined);
          if (!info?.isDirectory()) return;
          if (dir !== '') result.push({ path: dir, type: 'dir', mode: Number(info.mode & 0o7777n) });
          const stamp = `${info.ino}:${info.mtimeNs}:${info.ctimeNs}`;
          const cached = this.dirCache.get(dir);
          const children = cached?.stamp === stamp ? cached.children : await this.childDirectories(dir);
          seen.set(dir, { stamp, children });
          for (const name of children) {
            const path = dir === '' ? name : `${dir}/${name}`;
            if (path === '.oxydra' || dirs.has(path) || skipped.has(path + '/')) continue;
            candidates.push(path);
          }
        }),
      );
      if (candidates.length === 0) break;
      const unknown = candidates.filter((path) => !this.ignoredCache.has(path));
      if (unknown.length > 0) {
        const ignored = await this.ignoredPaths(unknown, indexFile);
        for (const path of unknown) this.ignoredCache.set(path, ignored.has(path));
      }
      frontier = candidates.filter((path) => this.ignoredCache.get(path) === false);
      for (const path of frontier) dirs.add(path);
    }
    this.dirCache = seen;
    return result;
  }

  private async childDirectories(dir: string): Promise<string[]> {
    const children = await readdir(join(this.workspace, dir), { withFileTypes: true }).catch(() => []);
    return children
      .filter((child) => child.isDirectory() && child.name !== '.git')
      .map((child) => child.name);
  }

  private async ignoredPaths(paths: string[], indexFile: string): Promise<Set<string>> {
    // `./` keeps a name such as `:x` from being read as pathspec magic; git echoes it back.
    const out = await this.git.records(['check-ignore', '-z', '--stdin'], {
      indexFile,
      input: joinNul(paths.map((path) => `./${path}`)),
      okExitCodes: [1],
    });
    return new Set(out.map((path) => path.replace(/^\.\//, '')));
  }

  /**
   * Writes a small object (the manifest blob, a commit) as a loose object ourselves, sparing
   * a `git hash-object` or `git commit-tree` process on every snapshot.
   */
  private writeBlob(content: string): Promise<string> {
    return this.writeObject('blob', content);
  }

  private async writeObject(type: 'blob' | 'commit', content: string): Promise<string> {
    const data = Buffer.from(content, 'utf8');
    const raw = Buffer.concat([Buffer.from(`${type} ${data.length}\0`), data]);
    const sha = createHash('sha1').update(raw).digest('hex');
    const dir = join(this.gitDir, 'objects', sha.slice(0, 2));
    const file = join(dir, sha.slice(2));
    if (await exists(file)) return sha;
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await writeFile(tmp, deflateSync(raw), { mode: 0o444 });
    await rename(tmp, file);
    return sha;
  }

  /**
   * Points the checkpoint branch at `id`. Every writer holds the store's lock (exclusive()),
   * so checking the old value and renaming the new file in is the compare-and-swap that
   * `git update-ref` would do; a mismatch means someone else moved it and fails loudly.
   */
  private async moveHead(expected: string | undefined, id: string): Promise<void> {
    if ((await this.head()) !== expected) {
      throw new CheckpointError('the checkpoint branch moved during a snapshot (another writer?)');
    }
    const file = join(this.gitDir, HEAD_REF);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await writeFile(tmp, `${id}\n`);
    await rename(tmp, file);
  }

  // ---- reading checkpoints ---------------------------------------------------------------

  private async head(): Promise<string | undefined> {
    // We never pack refs, so the loose file is the fast path; git answers if someone did.
    const loose = await readFile(join(this.gitDir, HEAD_REF), 'utf8').catch(() => '');
    if (/^[0-9a-f]{40,64}\n?$/.test(loose)) return loose.trim();
    return (
      (await this.git.text(['rev-parse', '--verify', '-q', HEAD_REF], { okExitCodes: [1] })) || undefined
    );
  }

  private async resolve(ref: string): Promise<string | undefined> {
    if (ref === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) return undefined;
    const out = await this.git.run(['rev-parse', '--verify', '-q', `${ref}^{commit}`], {
      okExitCodes: [1, 128],
    });
    return out.exitCode === 0 ? out.stdout.toString('utf8').trim() : undefined;
  }

  private async resolveOrThrow(ref: string): Promise<string> {
    const id = await this.resolve(ref);
    if (!id) throw new CheckpointError(`no such checkpoint: ${JSON.stringify(ref)}`);
    return id;
  }

  /** The entries and manifest of a checkpoint commit. */
  private async state(commit: string): Promise<TreeState> {
    if (this.lastState?.commit === commit) return this.lastState.state;
    const [tree, manifest] = await Promise.all([
      this.git.records(['ls-tree', '-r', '-z', '--full-tree', commit]),
      this.git.run(['cat-file', 'blob', `${commit}:${MANIFEST_PATH}`], { okExitCodes: [128] }),
    ]);
    const entries = new Map<string, GitEntry>();
    for (const record of tree) {
      const tab = record.indexOf('\t');
      const [mode, type, sha] = record.slice(0, tab).split(' ');
      const path = record.slice(tab + 1);
      if (type !== 'blob' || !mode || !sha || path === MANIFEST_PATH) continue;
      entries.set(path, { mode, sha });
    }
    const parsed = manifest.exitCode === 0 ? parseManifest(manifest.stdout.toString('utf8')) : undefined;
    return { entries, manifest: parsed ?? manifestFromEntries(entries) };
  }

  // ---- restoring ---------------------------------------------------------------------------

  /**
   * Decides which paths can really be written. A path held now by an uncaptured file (an
   * ignored one) is kept as it is. A restore that would have to delete something uncaptured is
   * refused before anything changes: an ignored file inside a directory standing where a file
   * goes, or an uncaptured file or symlink (which git would otherwise follow) where a directory goes.
   */
  private async planWrites(
    toWrite: string[],
    toRemove: Set<string>,
    current: Capture,
  ): Promise<{ write: string[]; kept: string[] }> {
    const currentDirs = new Set(current.manifest.entries.filter((e) => e.type === 'dir').map((e) => e.path));
    const probes = new Map<string, Promise<Stats | undefined>>();
    const probe = (path: string) => {
      let info = probes.get(path);
      if (!info) {
        info = lstat(join(this.workspace, path)).catch(() => undefined);
        probes.set(path, info);
      }
      return info;
    };
    const blockers = new Set<string>();
    const kept: string[] = [];
    const verdicts = await Promise.all(
      toWrite.map(async (path): Promise<boolean> => {
        let parentGoes = false;
        for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
          const dir = path.slice(0, cut);
          // A symlink or file removed first: nothing stands below it then (and probing below
          // it now would follow the symlink).
          if (toRemove.has(dir)) {
            parentGoes = true;
            break;
          }
          if (currentDirs.has(dir)) continue;
          const info = await probe(dir);
          if (!info) break;
          if (!info.isDirectory()) blockers.add(dir);
        }
        if (current.entries.has(path) || parentGoes) return true;
        const info = currentDirs.has(path) ? undefined : await probe(path);
        if (info && !info.isDirectory()) {
          kept.push(path);
          return false;
        }
        if (currentDirs.has(path) || info) {
          for (const inside of await listFiles(this.workspace, path)) {
            if (!toRemove.has(inside)) blockers.add(inside);
          }
        }
        return true;
      }),
    );
    if (blockers.size > 0) {
      const list = [...blockers].sort().slice(0, 10).join(', ');
      throw new CheckpointError(
        `restore refused: it would overwrite files that are not checkpointed: ${list}`,
      );
    }
    return { write: toWrite.filter((_, i) => verdicts[i]), kept };
  }

  /** Removes directories the target does not have, deepest first, when they are now empty. */
  private async pruneDirectories(
    current: Manifest,
    wanted: Manifest,
    removedFiles: string[],
  ): Promise<string[]> {
    const keep = new Set(wanted.entries.filter((e) => e.type === 'dir').map((e) => e.path));
    const candidates = new Set(current.entries.filter((e) => e.type === 'dir').map((e) => e.path));
    for (const path of removedFiles) {
      for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
        candidates.add(path.slice(0, cut));
      }
    }
    const ordered = [...candidates].filter((dir) => !keep.has(dir)).sort((a, b) => depthOf(b) - depthOf(a));
    const removed: string[] = [];
    for (const dir of ordered) {
      // Not empty (ignored or skipped files inside) or already gone: leave it.
      const ok = await rmdir(join(this.workspace, dir)).then(
        () => true,
        () => false,
      );
      if (ok) removed.push(dir + '/');
    }
    return removed;
  }

  /** Writes the given paths from a checkpoint via a temporary index, leaving ours alone. */
  private async checkout(commit: string, paths: string[]): Promise<void> {
    const index = join(this.gitDir, `tmp-index-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await this.git.run(['read-tree', commit], { indexFile: index });
      await this.git.run(['checkout-index', '-f', '-z', '--stdin'], {
        indexFile: index,
        input: joinNul(paths),
      });
    } finally {
      await rm(index, { force: true });
    }
  }

  /**
   * Gives files and directories their recorded modes and recreates empty directories. What we
   * captured a moment ago tells us the current modes, so only written or differing entries are
   * touched.
   */
  private async applyManifest(
    wanted: Manifest,
    current: Manifest,
    written: Set<string>,
    isKept: (path: string) => boolean,
  ): Promise<{ modes: string[]; created: string[] }> {
    const now = new Map(current.entries.map((e) => [e.path, e]));
    const modes: string[] = [];
    const created: string[] = [];
    await Promise.all(
      wanted.entries.map(async (entry) => {
        if (entry.type !== 'file' || isKept(entry.path)) return;
        const wasWritten = written.has(entry.path);
        const before = now.get(entry.path);
        if (!wasWritten && (before?.type !== 'file' || before.mode === entry.mode)) return;
        // checkout-index creates files with the umask's mode (and only knows the exec bit).
        await chmod(join(this.workspace, entry.path), entry.mode);
        if (!wasWritten) modes.push(entry.path);
      }),
    );
    const dirs = wanted.entries.filter((e) => e.type === 'dir' && !isKept(e.path + '/'));
    const touched: ManifestEntry[] = [];
    // Parents first for creation (entries are sorted by path).
    for (const entry of dirs) {
      const before = now.get(entry.path);
      if (before?.type === 'dir') {
        if (before.mode !== entry.mode) touched.push(entry);
        continue;
      }
      const info = await lstat(join(this.workspace, entry.path)).catch(() => undefined);
      if (!info) {
        const cut = entry.path.lastIndexOf('/');
        // Never create through a symlink that could point outside the workspace.
        const parent =
          cut === -1
            ? undefined
            : await lstat(join(this.workspace, entry.path.slice(0, cut))).catch(() => undefined);
        if (cut !== -1 && !parent?.isDirectory()) continue;
        await mkdir(join(this.workspace, entry.path));
        created.push(entry.path + '/');
        touched.push(entry);
      } else if (info.isDirectory() && (info.mode & 0o7777) !== entry.mode) {
        // Created just now by checkout-index as a parent of a written file.
        touched.push(entry);
      }
    }
    // Deepest first, so a read-only parent cannot stop us from fixing its children.
    for (const entry of touched.sort((a, b) => depthOf(b.path) - depthOf(a.path))) {
      await chmod(join(this.workspace, entry.path), entry.mode);
      if (now.get(entry.path)?.type === 'dir') modes.push(entry.path + '/');
    }
    return { modes, created };
  }

  // ---- concurrency ---------------------------------------------------------------------------

  /** Runs one operation at a time in this process, and holds the cross-process lock meanwhile. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const release = await acquireLock(join(this.gitDir, 'oxydra.lock'), this.lockTimeoutMs);
      try {
        await this.clearLeftovers();
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

  /**
   * Every writer holds our lock, so git lock files and temporary indexes found now were left
   * by a crashed run; without this a single crash would block snapshots forever.
   */
  private async clearLeftovers(): Promise<void> {
    const names = await readdir(this.gitDir).catch(() => []);
    await Promise.all(
      names
        .filter((name) => name.startsWith('tmp-index-') || name === 'index.lock' || name === 'HEAD.lock')
        .map((name) => rm(join(this.gitDir, name), { force: true })),
    );
    await rm(join(this.gitDir, `${HEAD_REF}.lock`), { force: true });
  }
}
