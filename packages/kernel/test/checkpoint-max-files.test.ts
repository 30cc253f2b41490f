/**
 * `[checkpoints] max_files`: a workspace listing more files than that is not captured at all,
 * never in part (a restore takes a checkpoint for the whole workspace and would delete the
 * rest); a run goes on with a one-line warning naming the key.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import type { KernelAudit } from '../src/services/audit/audit-log.js';
import { CheckpointStore, TooManyFilesError } from '../src/services/checkpoints/index.js';
import { RunCheckpoints } from '../src/services/history/run-checkpoints.js';
import { WorkspaceHistory } from '../src/services/history/workspace-history.js';
import { tempFolders } from './temp-folders.js';

const audit = { record: async () => {} } as unknown as KernelAudit;

describe('the cap on the number of files a checkpoint captures', () => {
  const { folder } = tempFolders('oxydra-max-files-');

  it('takes no checkpoint of a workspace over the cap, and restores none in part', async () => {
    const root = folder();
    for (const name of ['a', 'b', 'c']) writeFileSync(join(root, name), `${name}\n`);
    const store = await CheckpointStore.open(root, { maxFiles: 3 });
    const three = await store.snapshot('three files');
    writeFileSync(join(root, 'd'), 'd\n');

    // Before: every file captured whatever their number.
    await expect(store.snapshot('four files')).rejects.toThrow(TooManyFilesError);
    await expect(store.snapshot('four files')).rejects.toThrow(
      /holds 4 files, over checkpoints\.max_files \(3\): no checkpoint taken/,
    );
    expect((await store.list()).map((checkpoint) => checkpoint.id)).toEqual([three.id]);
    // A restore needs the whole workspace too: refused, nothing removed.
    await expect(store.restore(three.id)).rejects.toThrow(TooManyFilesError);
    // A usage error: the CLI prints its line and hint and exits 2, not "a bug in Oxydra" (exit 1).
    const refused = await store.restore(three.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).hint).toMatch(/--set checkpoints\.max_files=N/);
    expect(['a', 'b', 'c', 'd'].every((name) => existsSync(join(root, name)))).toBe(true);
  });

  it('a run over the cap goes on, warned once in one line that names the key', async () => {
    const root = folder();
    for (const name of ['a', 'b', 'c']) writeFileSync(join(root, name), `${name}\n`);
    const history = new WorkspaceHistory(root, { maxFileBytes: 1 << 20, maxFiles: 2, audit });
    const warnings: string[] = [];
    const run = new RunCheckpoints(history, 'default', (message) => warnings.push(message));

    await run.ensureBefore();
    await run.finish();

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\n');
    expect(warnings[0]).toMatch(/cannot be undone: .*checkpoints\.max_files \(2\).*raise it/);
    expect(await history.list()).toEqual([]);
  });
});
