/**
 * A restore or an undo is refused while another run changes the same workspace (its commands
 * would keep writing under the restore): a usage error (exit 2 at the CLI) naming the run and
 * the way out. A run marks itself before its "before" checkpoint and clears the mark when it
 * ends; a mark left by a process that is gone (killed) does not hold anything up.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { UsageError } from '@oxydra/types';
import { describe, expect, it, vi } from 'vitest';
import type { KernelAudit } from '../src/services/audit/audit-log.js';
import { HEARTBEAT_MS, STALE_MS } from '../src/services/checkpoints/active-runs.js';
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
      hint: `wait for it to end (a mark its run stops refreshing is dropped 3 minutes later); if it is gone for good, delete ${mark}`,
    });
    // Before: judged by a pid of this namespace, the mark was dropped and the undo went ahead.
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('after the first run\n');

    // A mark of this place whose process is gone is dropped as before.
    writeFileSync(mark, `${encodeURIComponent(hostname())}/${readlinkSync('/proc/self/ns/pid')} ${deadHere}`);
    await history.undo({ run: first.run, actor: 'test' });
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('before\n');
  });

  it('a mark made elsewhere that its run stopped refreshing (a killed container) is dropped after a while', async () => {
    const { root, history, first } = await setUp();
    const marks = join((await history.store()).gitDir, 'active-runs');
    mkdirSync(marks, { recursive: true });
    const mark = join(marks, 'r-0000c0de');
    writeFileSync(mark, `${encodeURIComponent(hostname())}/pid:[1] 7 12345 beat`);
    const ago = (ms: number) => (Date.now() - ms) / 1000;
    // Refreshed a moment ago: its run may be going on.
    utimesSync(mark, ago(STALE_MS / 2), ago(STALE_MS / 2));
    await expect(history.undo({ run: first.run, actor: 'test' })).rejects.toThrow(
      /run r-0000c0de is changing/,
    );
    // An older version's mark (no heartbeat) holds the restore however old it is.
    writeFileSync(mark, `${encodeURIComponent(hostname())}/pid:[1] 7 12345`);
    utimesSync(mark, ago(10 * STALE_MS), ago(10 * STALE_MS));
    await expect(history.undo({ run: first.run, actor: 'test' })).rejects.toThrow(
      /run r-0000c0de is changing/,
    );

    // Not refreshed for longer than STALE_MS: before, it held every restore until deleted by hand.
    writeFileSync(mark, `${encodeURIComponent(hostname())}/pid:[1] 7 12345 beat`);
    utimesSync(mark, ago(STALE_MS + 5000), ago(STALE_MS + 5000));
    await history.undo({ run: first.run, actor: 'test' });
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('before\n');
    expect(existsSync(mark)).toBe(false);
  });

  it("a run's process keeps its mark fresh, and writes it again if it was dropped meanwhile", async () => {
    const { history, warnings } = await setUp();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const run = new RunCheckpoints(history, 'default', (m) => warnings.push(m));
      await run.ensureBefore();
      const marks = join((await history.store()).gitDir, 'active-runs');
      const [name] = readdirSync(marks);
      const mark = join(marks, name!);
      expect(readFileSync(mark, 'utf8')).toMatch(/ beat$/);
      const old = (Date.now() - 10 * STALE_MS) / 1000;
      utimesSync(mark, old, old);
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await pollUntil(
        () => Date.now() - statSync(mark).mtimeMs < STALE_MS,
        'the heartbeat to touch the mark',
      );

      rmSync(mark);
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await pollUntil(() => existsSync(mark), 'the heartbeat to write the dropped mark again');
      expect(readFileSync(mark, 'utf8')).toMatch(/ beat$/);

      await run.finish();
      expect(existsSync(mark)).toBe(false);
      // The run ended: nothing writes its mark back.
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await history.list(); // a round trip to the store: a beat started above would have run by now
      expect(existsSync(mark)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
