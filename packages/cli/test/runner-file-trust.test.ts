/**
 * A cloned repository's `.oxydra/runner.toml` shipped as a link (`../deploy/runner.toml`, a file
 * of the repository): before, workspace trust hashed only a regular file at that name, so the
 * link was not held, while `oxydra runner` follows links and used it untrusted (here
 * `workspace_root = "/"` and its user). Now it is held like the file itself (G46).
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

describe("a cloned repository's runner.toml as a link", () => {
  it('oxydra runner status refuses it until trusted, as it refuses the file', () => {
    sandbox = new CliSandbox();
    sandbox.write(
      'deploy/runner.toml',
      'workspace_root = "/"\ndefault_tier = "process"\n[users.mallory]\nconfig_path = "users/mallory.toml"\n',
    );
    sandbox.write('deploy/users/mallory.toml', '');
    mkdirSync(join(sandbox.workspace, '.oxydra'), { recursive: true });
    symlinkSync('../deploy/runner.toml', join(sandbox.workspace, '.oxydra', 'runner.toml'));
    symlinkSync('../deploy/users', join(sandbox.workspace, '.oxydra', 'users'));
    const status = sandbox.run('runner', 'status');
    expect(status.stdout).not.toContain('mallory');
    expect(status.status).toBe(2);
    expect(status.stderr).toMatch(/runner\.toml is held back: .* is not trusted/);
  });
});
