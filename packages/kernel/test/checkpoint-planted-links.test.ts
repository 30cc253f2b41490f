/**
 * Files a `git pull` adds inside the user's own `.oxydra/checkpoints.git` (a repository that
 * ignores `.oxydra/` and later force-adds files under it): git writes links, and the store's
 * origin record, untouched, still checks. A link at a run's mark, at the store's lock or at the
 * checkpoint branch's file, to a FIFO, made `oxydra undo` and `checkpoints list` wait forever
 * (readFile follows links and opens a FIFO blocking until a writer comes). Every read of the
 * store's own files now refuses what is not a regular file.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelAudit } from '../src/services/audit/audit-log.js';
import { RunCheckpoints } from '../src/services/history/run-checkpoints.js';
import { WorkspaceHistory } from '../src/services/history/workspace-history.js';
import { tempFolders } from './temp-folders.js';

const audit = { record: async () => {} } as unknown as KernelAudit;
const fifos: string[] = [];

// A reader the old code left waiting on a FIFO gets its end of file, so the worker can exit.
afterEach(() => {
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
    } catch {
      // gone with its folder
    }
  }
});

describe('links planted inside the checkpoint store', () => {
  const { folder } = tempFolders('oxydra-planted-links-');

  const setUp = async () => {
    const root = folder();
    writeFileSync(join(root, 'notes.md'), 'before\n');
    const history = new WorkspaceHistory(root, { maxFileBytes: 1 << 20, audit });
    const run = new RunCheckpoints(history, 'default', () => {});
    await run.ensureBefore();
    writeFileSync(join(root, 'notes.md'), 'after\n');
    await run.finish();
    // Outside the workspace, where a pulled link can point.
    const fifo = join(folder(), 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    fifos.push(fifo);
    return { root, history, run, gitDir: join(root, '.oxydra', 'checkpoints.git'), fifo };
  };

  it('a link to a FIFO at a run mark, the lock or the branch holds up neither undo nor the listing', async () => {
    const { root, history, run, gitDir, fifo } = await setUp();
    mkdirSync(join(gitDir, 'active-runs'), { recursive: true });
    symlinkSync(fifo, join(gitDir, 'active-runs', 'r-0123abcd'));
    symlinkSync(fifo, join(gitDir, 'oxydra.lock'));
    expect((await history.list()).length).toBeGreaterThan(0);
    const undone = await history.undo({ run: run.run, actor: 'test' });
    expect(undone.run).toBe(run.run);
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('before\n');
  });

  it('a link to a FIFO at the checkpoint branch is refused with a message, not waited on', async () => {
    const { history, gitDir, fifo } = await setUp();
    const branch = join(gitDir, 'refs', 'heads', 'checkpoints');
    rmSync(branch);
    symlinkSync(fifo, branch);
    await expect(history.list()).rejects.toThrow(
      /refs\/heads\/checkpoints (is not a regular file|which Oxydra did not write)/,
    );
  });
});
