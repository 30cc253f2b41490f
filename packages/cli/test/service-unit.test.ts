/**
 * The unit text for awkward workspace paths (run/service-unit.ts): spaces, `%` (a systemd
 * specifier), `$` and quotes (ExecStart variables and quoting) come out as systemd reads them,
 * checked by systemd-analyze verify (it parses every setting and looks for ExecStart's program,
 * node linked into an awkward folder for the test). A line break, which would end the setting
 * and could add others, and a node path systemd refuses to run are refused with the way out.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceName, systemdUnit } from '../src/run/service-unit.js';
import { OXYDRA_BIN } from './helpers.js';

let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const HAS_VERIFY = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;

describe('systemdUnit', () => {
  it.runIf(HAS_VERIFY)(
    'escapes %, $, quotes and spaces so systemd-analyze verify reads the path as it is',
    () => {
      root = mkdtempSync(join(tmpdir(), 'oxydra-unit-'));
      const workspace = join(root, 'my "site" 100% $HOME');
      mkdirSync(workspace);
      // node's own path may hold spaces, `%` and `$` (not quotes: systemd refuses those there).
      mkdirSync(join(root, 'node 100% $x'));
      const node = join(root, 'node 100% $x', 'node');
      symlinkSync(process.execPath, node);
      const unit = systemdUnit({
        scope: 'user',
        workspace,
        command: [node, OXYDRA_BIN],
        port: 7700,
        environmentFile: join(root, 'service.env'),
      });
      expect(unit).toContain(`WorkingDirectory=${root}/my "site" 100%% $HOME\n`);
      expect(unit).toContain(`X-Oxydra-Workspace=${root}/my "site" 100%% $HOME\n`);
      const path = join(root, `${serviceName(workspace)}.service`);
      writeFileSync(path, unit);
      const verify = spawnSync('systemd-analyze', ['verify', '--user', path], {
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: root },
      });
      expect({ status: verify.status, stderr: verify.stderr.trim() }).toEqual({ status: 0, stderr: '' });

      expect(unit).toContain(`ExecStart="${root}/node 100%% $x/node" "${OXYDRA_BIN}" "gateway" "--bind"`);
      // Escaped wrongly (a doubled $, as in an argument), verify does not find the program.
      writeFileSync(
        path,
        unit.replace(/^ExecStart="[^"]*"/m, () => `ExecStart="${root}/node 100%% $$x/node"`),
      );
      const misread = spawnSync('systemd-analyze', ['verify', '--user', path], {
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: root },
      });
      expect(misread.stderr).not.toBe('');
    },
  );

  it('refuses a node path systemd cannot run (quotes, a backslash) with the way out', () => {
    expect(() =>
      systemdUnit({
        scope: 'user',
        workspace: '/srv/site',
        command: ['/opt/my "node"/bin/node', OXYDRA_BIN],
        environmentFile: '/tmp/service.env',
      }),
    ).toThrow('systemd cannot run a program whose path holds quotes or a backslash: /opt/my "node"/bin/node');
  });

  it('refuses a path with a line break', () => {
    expect(() =>
      systemdUnit({
        scope: 'user',
        workspace: '/tmp/a\nExecStartPre=/bin/evil',
        command: [process.execPath, OXYDRA_BIN],
        environmentFile: '/tmp/service.env',
      }),
    ).toThrow(UsageError);
  });
});
