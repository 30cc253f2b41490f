/**
 * Pids cgroups left by oxydra processes that died are removed by the next one; a live
 * process's cgroups are left alone. Needs a pids cgroup this process may create (root, or a
 * delegated cgroup); elsewhere there is nothing to leak.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPidsCgroup } from '../src/index.js';

const probe = createPidsCgroup(1);
if (probe) rmdirSync(probe.dir);

// Skipped only where no pids cgroup can be created: the sweep has nothing to do there.
describe.skipIf(probe === undefined)('stale sandbox cgroups', () => {
  it('a new process removes the empty cgroups of dead oxydra processes, not those of live ones', () => {
    const parent = path.dirname(probe!.dir);
    // A pid that surely is dead: a child that has exited and been reaped.
    const dead = spawnSync('/bin/true').pid!;
    const stale = path.join(parent, `oxydra-sandbox-${dead}-0123456789ab`);
    const live = path.join(parent, `oxydra-sandbox-${process.ppid}-0123456789ab`);
    mkdirSync(stale);
    mkdirSync(live);
    try {
      // A fresh process: the sweep runs once per process, with its first cgroup.
      const script = `const s = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).pathname)}); const c = s.createPidsCgroup(4); await c.remove();`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      for (const dir of [stale, live]) if (existsSync(dir)) rmdirSync(dir);
    }
  });
});
