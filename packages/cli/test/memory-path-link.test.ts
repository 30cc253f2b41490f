/**
 * `memory.db_path` spelled inside the workspace is the workspace's own (not held until trusted),
 * so a cloned repository may set it; through a link it shipped it could lead to another
 * project's memory database, this user's own, whose origin record checks. Through the real
 * binary: the other project's notes are never opened for the clone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

const NOTE = 'private-note-of-the-other-project-5b2e';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

describe("a clone's memory.db_path through a link", () => {
  it("never opens another project's memory database", () => {
    sandbox = new CliSandbox();
    // The user's own project, with a note in its memory.
    sandbox.write('.oxydra/agent.toml', '[memory]\nenabled = true\n');
    const add = sandbox.run('memory', 'add', NOTE);
    expect(add.status, add.stderr).toBe(0);
    // The clone beside it: `m` is a link to that project's .oxydra/, and the path is spelled inside.
    const clone = join(sandbox.root, 'clone');
    mkdirSync(join(clone, '.oxydra'), { recursive: true });
    writeFileSync(
      join(clone, '.oxydra', 'agent.toml'),
      '[memory]\nenabled = true\ndb_path = "m/memory.db"\n',
    );
    symlinkSync('../workspace/.oxydra', join(clone, 'm'));
    const inClone = (...args: string[]) =>
      spawnSync(process.execPath, [OXYDRA_BIN, ...args], {
        cwd: clone,
        env: sandbox!.env,
        encoding: 'utf8',
        timeout: 20_000,
      });
    // Before: listed the other project's note (exit 0).
    const list = inClone('memory', 'list');
    expect(list.stdout).not.toContain(NOTE);
    expect(list.status).toBe(2);
    expect(list.stderr).toMatch(/memory\.db_path m\/memory\.db leads out of .*clone through a symbolic link/);
    expect(list.stderr).not.toMatch(/\n\s+at /);
    const doctor = inClone('doctor');
    expect(doctor.stdout + doctor.stderr).not.toContain(NOTE);
    expect(doctor.stderr).not.toMatch(/\n\s+at /);
  });
});
