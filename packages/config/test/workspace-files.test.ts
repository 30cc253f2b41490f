/**
 * A workspace's `.oxydra/agent.toml` and `providers.toml` are files whoever writes the workspace
 * planted (a cloned repository, a root guest's sandboxed commands): a link there is refused, not
 * followed to a file of the host's, and a FIFO or an oversized file is not read (one hung every
 * start; `/dev/zero` behind a link was read without end). The user's own files may be links.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

const load = () => loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run' });

describe("a workspace's config files", () => {
  it('refuses a link at .oxydra/agent.toml instead of reading the file it names', async () => {
    sandbox = makeSandbox();
    const hostFile = sandbox.write(
      join(sandbox.root, 'host-only.toml'),
      '[selection]\nmodel = "from-the-host"\n',
    );
    mkdirSync(sandbox.workspaceConfig, { recursive: true });
    symlinkSync(hostFile, join(sandbox.workspaceConfig, 'agent.toml'));
    await expect(load()).rejects.toThrow(/agent\.toml: is a symbolic link; not read/);
  });

  it('refuses a FIFO and a file over 1 MiB at .oxydra/providers.toml', async () => {
    sandbox = makeSandbox();
    mkdirSync(sandbox.workspaceConfig, { recursive: true });
    const providers = join(sandbox.workspaceConfig, 'providers.toml');
    execFileSync('mkfifo', [providers]);
    await expect(load()).rejects.toThrow(/providers\.toml: is not a regular file/);
    execFileSync('rm', [providers]);
    writeFileSync(providers, `# ${'x'.repeat(1024 * 1024)}\n`);
    await expect(load()).rejects.toThrow(/providers\.toml: is \d+ bytes, more than the 1048576 allowed/);
  });

  it("still follows a link among the user's own files", async () => {
    sandbox = makeSandbox();
    const dotfile = sandbox.write(join(sandbox.root, 'dotfiles/agent.toml'), '[selection]\nmodel = "mine"\n');
    mkdirSync(sandbox.userConfig, { recursive: true });
    symlinkSync(dotfile, join(sandbox.userConfig, 'agent.toml'));
    const { config } = await load();
    expect(config.selection.model).toBe('mine');
  });
});
