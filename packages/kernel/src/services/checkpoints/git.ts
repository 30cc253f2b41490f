import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

/** Thrown when the `git` binary cannot be started at all (not installed, not on PATH). */
export class GitMissingError extends Error {
  constructor() {
    super(
      'checkpoints need the git binary: install git (apt-get install git), or turn them off with --set checkpoints.enabled=false',
    );
    this.name = 'GitMissingError';
  }
}

/** A git command that exited with a code the caller did not expect. */
export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'GitCommandError';
  }
}

export interface GitResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface GitRunOptions {
  /** Bytes written to the child's stdin (then closed). */
  readonly input?: string | Buffer;
  /** Use another index than the checkpoint index, e.g. a temporary one for a dry capture. */
  readonly indexFile?: string;
  /** Exit codes that are answers rather than failures (e.g. 1 for check-ignore: "nothing ignored"). */
  readonly okExitCodes?: readonly number[];
  /** Extra variables for this call only, e.g. a fixed commit date. */
  readonly env?: Readonly<Record<string, string>>;
}

const IDENTITY = { name: 'Oxydra checkpoints', email: 'checkpoints@oxydra.invalid' } as const;
/** The author and committer of every checkpoint, as a commit object spells it. */
export const CHECKPOINT_IDENTITY = `${IDENTITY.name} <${IDENTITY.email}>`;

// Passed with -c on every call so that nothing in the host's configuration (or in a
// repository config someone planted in our git dir) changes how bytes and modes are stored.
// safe.directory=* because we run as root in containers over workspaces owned by others.
const CONFIG_FLAGS: readonly string[] = [
  'safe.directory=*',
  'core.autocrlf=false',
  'core.fileMode=true',
  'core.symlinks=true',
  'core.quotePath=false',
  'gc.auto=0',
  'maintenance.auto=false',
  // With GIT_CONFIG_GLOBAL=/dev/null git still reads ~/.config/git/ignore by default;
  // a snapshot must not depend on who runs it.
  'core.excludesFile=/dev/null',
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  // A commit graph would be believed over the commits themselves (parents, trees).
  'core.commitGraph=false',
  'core.attributesFile=/dev/null',
  // Nothing a repository's config can name runs a program: signatures are never shown (so no
  // gpg.program), no pager, no ssh, no credential helper, no editor, no transport but none.
  'log.showSignature=false',
  'gpg.program=false',
  'gpg.openpgp.program=false',
  'gpg.x509.program=false',
  'gpg.ssh.program=false',
  'core.pager=cat',
  'core.sshCommand=false',
  'core.askPass=false',
  'core.editor=false',
  'sequence.editor=false',
  'credential.helper=',
  'diff.external=',
  'protocol.allow=never',
].flatMap((setting) => ['-c', setting]);

/** Where a workspace keeps its private checkpoint history. */
export function checkpointGitDir(workspace: string): string {
  return join(workspace, '.oxydra', 'checkpoints.git');
}

/**
 * The environment for every git call: the inherited one minus every GIT_* variable (an
 * inherited GIT_DIR or GIT_INDEX_FILE would otherwise redirect us into the user's own
 * repository), plus our own repository, index and identity.
 */
function gitEnvironment(workspace: string, gitDir: string, indexFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GIT_') && value !== undefined) env[key] = value;
  }
  Object.assign(env, {
    GIT_DIR: gitDir,
    GIT_WORK_TREE: workspace,
    GIT_INDEX_FILE: indexFile,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    // refs/replace/<sha> would swap any object (a tree a checkpoint names) for another.
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_AUTHOR_NAME: IDENTITY.name,
    GIT_AUTHOR_EMAIL: IDENTITY.email,
    GIT_COMMITTER_NAME: IDENTITY.name,
    GIT_COMMITTER_EMAIL: IDENTITY.email,
  });
  return env;
}

/** Runs git (never through a shell) against one workspace's checkpoint repository. */
export class Git {
  readonly indexFile: string;
  /** A borrowing store's lender's newest checkpoint (restore-copy.ts): its branch counts too. */
  lenderHead: string | undefined;
  /** A borrowing store's lender's objects folder (alternates), whose objects are checked like its own. */
  borrowedObjects: string | undefined;
  /** Whose local key the branch's record is MAC'd with (refs.ts): the environment the store was claimed in. */
  readonly keyEnv: NodeJS.ProcessEnv = { ...process.env };

  constructor(
    readonly workspace: string,
    readonly gitDir: string,
  ) {
    this.indexFile = join(gitDir, 'index');
  }

  /** Runs `git <args>` and resolves with its raw output; rejects on an unexpected exit code. */
  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    return new Promise<GitResult>((resolve, reject) => {
      const child = this.start(args, options);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'ENOENT' ? new GitMissingError() : error);
      });
      child.on('close', (code) => {
        const stderr = Buffer.concat(err).toString('utf8');
        const exitCode = code ?? -1;
        if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout: Buffer.concat(out), stderr, exitCode });
        } else {
          reject(new GitCommandError(args, code, stderr));
        }
      });
      // A child that exits early (bad args) closes stdin; the EPIPE is not the error to report.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? '');
    });
  }

  /**
   * Starts `git <args>` with its pipes open, for a caller that streams its output as it comes
   * (restore-write.ts); `run` is the rest. A missing git shows as the child's ENOENT `error`.
   */
  start(args: readonly string[], options: GitRunOptions = {}): ChildProcessWithoutNullStreams {
    const env = gitEnvironment(this.workspace, this.gitDir, options.indexFile ?? this.indexFile);
    Object.assign(env, options.env);
    // cwd is the work tree root so that paths git prints and reads are workspace-relative.
    return spawn('git', [...CONFIG_FLAGS, ...args], {
      cwd: this.workspace,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Runs git and returns stdout as trimmed text (for one-line answers such as a sha). */
  async text(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.toString('utf8').trim();
  }

  /** Runs a `-z` git command and splits its NUL-terminated records. */
  async records(args: readonly string[], options: GitRunOptions = {}): Promise<string[]> {
    return splitNul((await this.run(args, options)).stdout);
  }
}

/** Splits NUL-separated (or NUL-terminated) output; paths may hold newlines, never NULs. */
function splitNul(output: Buffer): string[] {
  const text = output.toString('utf8');
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Joins paths for a `--stdin -z` / `--pathspec-file-nul` consumer. */
export function joinNul(paths: readonly string[]): string {
  return paths.map((path) => path + '\0').join('');
}
