/**
 * Issue 11, item 9: ordinary conditions are not bugs. A reader that stops reading (`| head -1`)
 * ends the command quietly with exit 0; a read-only workspace or database is one clear line with
 * the fix and exit 2, and doctor says which folder cannot be written.
 *
 * Read-only is simulated as CI can: tests run as root, whom permissions do not stop, so the
 * workspace is remounted read-only in a private mount namespace (`unshare -m`), and a database
 * owned by root is opened by an ordinary uid (`setpriv --reuid 65534`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

function sh(
  script: string,
  command: string[] = ['sh', '-c'],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command[0]!, [...command.slice(1), script], {
    cwd: sandbox!.workspace,
    env: sandbox!.env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const oxydra = `"${process.execPath}" "${OXYDRA_BIN}"`;
const isRoot = process.getuid?.() === 0;
const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe('a reader that stops reading', () => {
  it.each([
    ['memory list', 'memory list'],
    ['sessions list', 'sessions list --json'],
    ['models list', 'models list'],
    ['config show', 'config show'],
  ])('%s into a reader that has gone exits 0 without a word on stderr', (_name, args) => {
    sandbox = new CliSandbox();
    expect(sh(`${oxydra} memory add "a first note"`).status).toBe(0);
    // `true` exits before node has started, so oxydra's first write meets a closed pipe
    // (EPIPE); as with \`| head -1\`, but without a race with the reader.
    const piped = sh(`set -o pipefail; ${oxydra} ${args} | true`, ['bash', '-c']);
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
  });
});

// Mount namespaces need root; as an ordinary user the setpriv test below covers the same path.
describe.runIf(isRoot && hasTool('unshare'))('a read-only workspace (read-only mount)', () => {
  const readOnly = (commands: string) =>
    sh(`mount --bind . . && mount -o remount,ro,bind . && cd "$PWD" && ${commands}`, [
      'unshare',
      '-m',
      'sh',
      '-c',
    ]);

  it('run, memory add and init say the folder is read-only and exit 2; doctor names it', () => {
    sandbox = new CliSandbox();
    for (const command of ['run --base-url http://127.0.0.1:9/v1 --model m hi', 'memory add note', 'init']) {
      const result = readOnly(`${oxydra} ${command}`);
      expect(result.status, command).toBe(2);
      expect(result.stderr, command).toMatch(/^error: .* is on a read-only file system/);
      expect(result.stderr, command).toContain('hint: run Oxydra in a folder you can write to');
      expect(result.stderr, command).not.toMatch(/bug in Oxydra|\n\s+at /);
    }
    const doctor = readOnly(`${oxydra} doctor`);
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(/\[FAIL\] workspace +.* is on a read-only file system/);
  });
});

describe.runIf(isRoot && hasTool('setpriv'))('a database another user owns', () => {
  it('is a clear error with exit 2 for that user, and doctor names the file', () => {
    sandbox = new CliSandbox();
    expect(sh(`${oxydra} memory add "root's note"`).status).toBe(0);
    // The ordinary uid may enter and read everything, but write nothing.
    for (const dir of [sandbox.root, sandbox.workspace, sandbox.home]) chmodSync(dir, 0o755);
    // That user has a home of their own (root's ~/.config/oxydra, holding its key, is private).
    const theirHome = join(sandbox.root, 'nobody-home');
    mkdirSync(theirHome);
    chownSync(theirHome, 65534, 65534);
    const asNobody = (args: string) =>
      sh(`${oxydra} ${args}`, [
        'env',
        `HOME=${theirHome}`,
        'setpriv',
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        'sh',
        '-c',
      ]);
    const add = asNobody('memory add "nobody\'s note"');
    expect(add.status).toBe(2);
    expect(add.stderr).toMatch(/^error: the memory database .*memory\.db is not writable by this user/);
    expect(add.stderr).not.toMatch(/bug in Oxydra|SQLITE/);
    const doctor = asNobody('doctor');
    expect(doctor.stdout).toMatch(/\[FAIL\] memory file +.*memory\.db is not writable by this user/);
  });
});
