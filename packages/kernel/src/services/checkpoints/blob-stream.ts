/**
 * Blobs read from one `git cat-file --batch` process as they come: a restore of thousands of
 * files starts one process, and holds in memory only the blobs being written (the reader is
 * not read on while its consumer is busy, so git waits meanwhile).
 */
import type { Git } from './git.js';
import { GitCommandError, GitMissingError } from './git.js';
import { objectId } from './objects.js';
import { CheckpointError, TamperedStoreError } from './types.js';

export interface Blob {
  readonly sha: string;
  readonly content: Buffer;
}

/** The blobs named by `shas`, in that order (a sha asked twice comes twice). */
export async function* readBlobs(git: Git, shas: readonly string[]): AsyncGenerator<Blob> {
  for await (const blob of readRawBlobs(git, shas)) {
    // Git does not check a loose object against its name: one a `git pull` put into the store
    // under the name of a blob a checkpoint holds would be restored as that file.
    if (objectId('blob', blob.content) !== blob.sha) {
      throw new TamperedStoreError(
        git.gitDir,
        `an object named ${blob.sha}`,
        'whose content does not hash to its name',
      );
    }
    yield blob;
  }
}

async function* readRawBlobs(git: Git, shas: readonly string[]): AsyncGenerator<Blob> {
  const args = ['cat-file', '--batch'];
  const child = git.start(args);
  const err: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new GitMissingError() : error),
    );
    child.on('close', resolve);
  });
  // Rejected before anyone awaits it (git missing): handled below, never unhandled.
  exited.catch(() => {});
  child.stdin.on('error', () => {});
  child.stdin.end(shas.map((sha) => `${sha}\n`).join(''));
  let done = false;
  try {
    yield* parseBatch(child.stdout);
    done = true;
  } finally {
    // Left early (a failed write): git is stopped, not left writing into a full pipe.
    if (!done) {
      child.kill();
      await exited.catch(() => {});
    }
  }
  const code = await exited;
  if (code !== 0) throw new GitCommandError(args, code, Buffer.concat(err).toString('utf8'));
}

/** `<sha> blob <size>\n<bytes>\n`, one after another; a missing object ends the restore. */
async function* parseBatch(output: AsyncIterable<Buffer>): AsyncGenerator<Blob> {
  let head: Buffer[] = [];
  let wanted: { sha: string; size: number } | undefined;
  let body: Buffer[] = [];
  let have = 0;
  for await (const chunk of output) {
    let data = chunk;
    while (data.length > 0) {
      if (!wanted) {
        const eol = data.indexOf(10);
        if (eol === -1) {
          head.push(data);
          break;
        }
        wanted = parseHeader(Buffer.concat([...head, data.subarray(0, eol)]).toString('latin1'));
        head = [];
        data = data.subarray(eol + 1);
        continue;
      }
      // The body and the newline after it.
      const piece = data.subarray(0, wanted.size + 1 - have);
      body.push(piece);
      have += piece.length;
      data = data.subarray(piece.length);
      if (have === wanted.size + 1) {
        yield { sha: wanted.sha, content: Buffer.concat(body, have).subarray(0, wanted.size) };
        wanted = undefined;
        body = [];
        have = 0;
      }
    }
  }
  if (wanted || head.length > 0) throw new CheckpointError('git cat-file ended in the middle of a blob');
}

function parseHeader(line: string): { sha: string; size: number } {
  const [sha, type, size] = line.split(' ');
  if (!sha || type !== 'blob' || !/^\d{1,15}$/.test(size ?? '')) {
    throw new CheckpointError(`checkpoint store damaged: git cat-file answered "${line.slice(0, 100)}"`);
  }
  return { sha, size: Number(size) };
}
