/**
 * From runner.toml and users/<id>.toml to a plan: which user (auto-picked when alone), which
 * tier and capabilities, and the user's 0700 folders under the workspace root.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { planRunner, provisionWorkspace, WORKSPACE_FOLDERS, workspacePaths } from '@oxydra/runner';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { ConfigError, UsageError } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp: TempWorkspace;
let project: string;

beforeEach(() => {
  tmp = tempWorkspace({ prefix: 'oxydra-plan-' });
  project = tmp.dir;
});
afterEach(() => tmp.cleanup());

function write(path: string, text: string): void {
  tmp.write(path, text);
}

function users(...ids: string[]): string {
  return ids.map((id) => `[users.${id}]\nconfig_path = "users/${id}.toml"\n`).join('\n');
}

describe('planRunner', () => {
  it('picks the only user, resolves the workspace root from the project folder', async () => {
    write('.oxydra/runner.toml', `default_tier = "process"\n${users('alice')}`);
    write('.oxydra/users/alice.toml', '[behavior]\nshell_enabled = true\n');
    const plan = await planRunner({ cwd: project });
    expect(plan).toMatchObject({
      userId: 'alice',
      projectDir: project,
      tier: 'process',
      insecure: false,
      shellEnabled: true,
      browserEnabled: false,
    });
    expect(plan.paths.root).toBe(join(project, '.oxydra/workspaces/alice'));
    expect(plan.paths.controlSocket).toBe(join(project, '.oxydra/workspaces/alice/ipc/runner-control.sock'));
  });

  it('asks which user when there are several, and names unknown ones', async () => {
    write('.oxydra/runner.toml', users('alice', 'bob'));
    write('.oxydra/users/alice.toml', '');
    write('.oxydra/users/bob.toml', '');
    await expect(planRunner({ cwd: project })).rejects.toThrow(
      /defines 2 users \(alice, bob\); say which with --user/,
    );
    await expect(planRunner({ cwd: project, user: 'alicia' })).rejects.toThrow(UsageError);
    await expect(planRunner({ cwd: project, user: 'alicia' })).rejects.toThrow(
      /no such user .*did you mean "alice"/,
    );
    expect((await planRunner({ cwd: project, user: 'bob' })).userId).toBe('bob');
  });

  it('refuses a runner.toml without users, or a missing one', async () => {
    write('.oxydra/runner.toml', 'default_tier = "process"\n');
    await expect(planRunner({ cwd: project })).rejects.toThrow(ConfigError);
    await expect(planRunner({ cwd: project })).rejects.toThrow(/defines no users/);
    await expect(planRunner({ cwd: project, configPath: 'nope.toml' })).rejects.toThrow(
      /nope\.toml: file not found/,
    );
  });

  it('uses the config loader restrict rules: a user file may not weaken the tier', async () => {
    write('.oxydra/runner.toml', `default_tier = "container"\n${users('alice')}`);
    write('.oxydra/users/alice.toml', '[behavior]\nsandbox_tier = "process"\n');
    await expect(planRunner({ cwd: project })).rejects.toThrow(/weaker than the runner's default_tier/);
  });

  it('takes the stronger tier a user asks for; --insecure forces the process tier', async () => {
    write('.oxydra/runner.toml', `default_tier = "process"\n${users('alice')}`);
    write('.oxydra/users/alice.toml', '[behavior]\nsandbox_tier = "container"\nshell_enabled = false\n');
    expect(await planRunner({ cwd: project })).toMatchObject({ tier: 'container', shellEnabled: false });
    expect(await planRunner({ cwd: project, insecure: true })).toMatchObject({
      tier: 'process',
      configuredTier: 'container',
      insecure: true,
    });
  });

  it("honours the operator's limits and the user's [mounts]", async () => {
    write('.oxydra/runner.toml', `[limits]\nshell_enabled = false\n${users('alice')}`);
    write(
      '.oxydra/users/alice.toml',
      '[mounts]\nshared = "data/shared"\n[behavior]\nbrowser_enabled = true\n',
    );
    const plan = await planRunner({ cwd: project });
    expect(plan).toMatchObject({
      shellEnabled: false,
      browserEnabled: true,
      mounts: { shared: join(project, 'data/shared') },
    });
  });

  it('refuses a workspace root so deep the control socket path cannot exist', async () => {
    write('.oxydra/runner.toml', `workspace_root = "${'d'.repeat(120)}"\n${users('alice')}`);
    write('.oxydra/users/alice.toml', '');
    await expect(planRunner({ cwd: project })).rejects.toThrow(/over the 107-byte limit of Unix sockets/);
  });
});

describe('provisionWorkspace', () => {
  it('creates shared, tmp, vault, ipc and logs, each 0700, and is idempotent', async () => {
    const paths = workspacePaths(join(project, 'ws'), 'alice');
    const previous = process.umask(0o022);
    try {
      await provisionWorkspace(paths);
      await provisionWorkspace(paths);
    } finally {
      process.umask(previous);
    }
    for (const folder of ['', ...WORKSPACE_FOLDERS]) {
      expect(statSync(join(paths.root, folder)).mode & 0o777).toBe(0o700);
    }
  });
});
