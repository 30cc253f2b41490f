/**
 * A restore or an undo is refused while another run changes the same workspace (its commands
 * would keep writing under the restore): a usage error (exit 2 at the CLI) naming the run and
 * the way out. A run marks itself before its "before" checkpoint and clears the mark when it
 * ends; a mark left by a process that is gone (killed) does not hold anything up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import type { KernelAudit } from '../src/services/audit/audit-log.js';
import { RunCheckpoints } from '../src/services/history/run-checkpoints.js';
import { WorkspaceHistory } from '../src/services/history/workspace-history.js';
import { tempFolders } from './temp-folders.js';

const audit = { record: async () => {} } as unknown as KernelAudit;

describe('restores while another run changes the workspace', () => {
  const { folder } = tempFolders('oxydra-active-runs-');

  const setUp = async () => {
    const root = folder();
    writeFileSync(join(root, 'notes.md'), 'before\n');
    const history = new WorkspaceHistory(root, { maxFileBytes: 1 << 20, audit });
    const warnings: string[] = [];
    const first = new RunCheckpoints(history, 'default', (m) => warnings.push(m));
    await first.ensureBefore();
    writeFileSync(join(root, 'notes.md'), 'after the first run\n');
    await first.finish();
    return { root, history, first, warnings };
  };

  it('refuses an undo and a restore until the other run ends', async () => {
    const { root, history, first, warnings } = await setUp();
    const second = new RunCheckpoints(history, 'default', (m) => warnings.push(m));
    await second.ensureBefore();
    const checkpoints = (await history.list()).length;

    // Before: the undo went ahead under the running run.
    const undo = history.undo({ run: first.run, actor: 'test' });
    await expect(undo).rejects.toThrow(UsageError);
    await expect(history.undo({ run: first.run, actor: 'test' })).rejects.toThrow(
      `refusing to undo ${first.run}: run ${second.run} is still changing this workspace`,
    );
    const oldest = (await history.list()).at(-1)!;
    await expect(history.restore(oldest.id, 'test')).rejects.toThrow(/^refusing to restore: run r-/);
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('after the first run\n');
    // Refused before the state is saved: no checkpoint of a half-started undo.
    expect((await history.list()).length).toBe(checkpoints);

    await second.finish();
    await history.undo({ run: first.run, actor: 'test' });
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('before\n');
    expect(warnings).toEqual([]);
  });

  it('a mark left by a process that is gone holds nothing up', async () => {
    const { root, history, first } = await setUp();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const marks = join((await history.store()).gitDir, 'active-runs');
    mkdirSync(marks, { recursive: true });
    writeFileSync(join(marks, 'r-0000dead'), `${child.pid}`);
    await expect(history.undo({ run: first.run, actor: 'test' })).rejects.toThrow(/run r-0000dead is still/);

    const gone = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await gone;

    await history.undo({ run: first.run, actor: 'test' });
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('before\n');
  });

  it("a mark made in another place (a runner's container, another machine) holds a restore until it is cleared", async () => {
    const { root, history, first } = await setUp();
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadHere = child.stdout.toString();
    const marks = join((await history.store()).gitDir, 'active-runs');
    mkdirSync(marks, { recursive: true });
    // Its pid is another namespace's: that it names no process here says nothing.
    const mark = join(marks, 'r-0000c0de');
    writeFileSync(mark, `${encodeURIComponent(hostname())}/pid:[1] ${deadHere}`);
    const refused = history.undo({ run: first.run, actor: 'test' });
    await expect(refused).rejects.toThrow(
      'run r-0000c0de is changing this workspace from another machine or container, which cannot be checked from here',
    );
    await expect(history.undo({ run: first.run, actor: 'test' })).rejects.toMatchObject({
      hint: `wait for it to end; if it is gone for good, delete ${mark}`,
    });
    // Before: judged by a pid of this namespace, the mark was dropped and the undo went ahead.
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('after the first run\n');

    // A mark of this place whose process is gone is dropped as before.
    writeFileSync(mark, `${encodeURIComponent(hostname())}/${readlinkSync('/proc/self/ns/pid')} ${deadHere}`);
    await history.undo({ run: first.run, actor: 'test' });
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('before\n');
  });
});
