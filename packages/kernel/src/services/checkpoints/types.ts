/** The checkpoint store's data: checkpoints, changes, restore reports, and the captured tree states. */
import { UsageError } from '@oxydra/types';

export interface Checkpoint {
  /** The commit sha. */
  readonly id: string;
  /** The previous checkpoint, absent for the first one. */
  readonly parent?: string;
  readonly message: string;
  readonly meta: Record<string, string>;
  /** ISO-8601, second precision (git stores seconds). */
  readonly createdAt: string;
  /** Paths not captured: files over maxFileBytes, and nested repositories (with a trailing `/`). */
  readonly skipped: string[];
  /** Entries that differ from the parent checkpoint (content, type or mode). */
  readonly changed: number;
}

/** Directories appear with a trailing `/`, and only when no change inside them already shows them. */
export interface FileChange {
  readonly path: string;
  readonly status: 'added' | 'deleted' | 'modified' | 'mode';
}

export interface RestoreReport {
  /** Files, symlinks and (with a trailing `/`) directories removed. */
  readonly removed: string[];
  /** Files and symlinks written, and (with a trailing `/`) directories recreated. */
  readonly written: string[];
  /** Entries whose content was already right but whose mode was reset. */
  readonly modes: string[];
  /**
   * Paths that differ but were left alone: skipped now or in the checkpoint (size, nested
   * repository), or held now by an uncaptured (ignored) file where the checkpoint has a file.
   */
  readonly kept: string[];
}

export interface CheckpointTag {
  readonly name: string;
  readonly id: string;
}

export interface CheckpointStoreOptions {
  /** Files larger than this are never captured nor touched by restore. Default 10 MiB. */
  readonly maxFileBytes?: number;
  /**
   * A workspace listing more files than this is not captured at all (TooManyFilesError): every
   * snapshot would hold them all, and a part of them is no checkpoint a restore could trust.
   * Default 100,000.
   */
  readonly maxFiles?: number;
  /** How long to wait for another process's lock before giving up. Default 120 s. */
  readonly lockTimeoutMs?: number;
  /**
   * Folders (workspace-relative) never captured nor restored, besides the home folder's secrets
   * found in this workspace: a copy's restore names the original workspace's (restore-copy.ts).
   */
  readonly secretFolders?: readonly string[];
  /**
   * Another store's objects folder this one reads from (git alternates, written by open) and its
   * newest checkpoint, on whose branch the commits it restores must lie: a copy's restore
   * (restore-copy.ts). Any other alternates file is refused as planted.
   */
  readonly borrow?: { readonly objects: string; readonly head: string | undefined };
}

export interface ManifestEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  /** Permission bits (st_mode & 0o7777). */
  readonly mode: number;
}

export interface Manifest {
  readonly version: 1;
  readonly entries: ManifestEntry[];
  readonly skipped: string[];
}

/** One file or symlink as git sees it: its git mode (100644, 100755, 120000) and blob sha. */
export interface GitEntry {
  readonly mode: string;
  readonly sha: string;
}

export interface Capture {
  readonly entries: Map<string, GitEntry>;
  readonly manifest: Manifest;
}

/** A workspace state: git entries plus the manifest carrying what git cannot (full modes, dirs). */
export type TreeState = Capture;

export interface DirListing {
  readonly stamp: string;
  readonly children: readonly string[];
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/**
 * The checkpoint store holds a file Oxydra did not write there, or one of its own files changed
 * behind its back: a `git pull` of a repository that tracks files under `.oxydra/` writes into
 * this ignored folder, and git would read them as the store's own (its config, refs, objects).
 * Nothing is read or restored from it; the store must be moved aside.
 */
export class TamperedStoreError extends UsageError {
  constructor(
    readonly gitDir: string,
    readonly file: string,
    why = 'which Oxydra did not write (a git pull of a repository that tracks files under .oxydra/?)',
  ) {
    super(`the checkpoint store holds ${file} ${why}: nothing in it is read`, {
      hint: `move ${gitDir} aside (Oxydra starts a fresh one); undo history before that is lost`,
    });
    this.name = 'TamperedStoreError';
  }
}

/** The workspace lists more files than `[checkpoints] max_files`: nothing was captured. */
export class TooManyFilesError extends UsageError {
  constructor(
    readonly files: number,
    readonly maxFiles: number,
  ) {
    // A usage error (exit 2 at the CLI, one line and its hint): the limit is the user's to raise.
    super(
      `the workspace holds ${files} files, over checkpoints.max_files (${maxFiles}): no checkpoint taken`,
      {
        hint: 'raise it (--set checkpoints.max_files=N) or ignore folders in .gitignore',
      },
    );
    this.name = 'TooManyFilesError';
  }
}
