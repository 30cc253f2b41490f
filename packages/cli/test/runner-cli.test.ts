/**
 * `oxydra runner` with the real binary, for everything that needs no running guest: which
 * user, tier refusals that name what to install, status/logs/tui of a runner that is not there.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';
import { workspaceOf, writeRunnerConfig } from './runner-helpers.js';

let sandbox: CliSandbox;
let emptyBin: string;

beforeEach(() => {
  sandbox = new CliSandbox();
  // A PATH with no docker, podman or firecracker on it (the binary runs under process.execPath).
  emptyBin = mkdtempSync(join(tmpdir(), 'oxydra-empty-bin-'));
});

afterEach(() => {
  sandbox.cleanup();
  rmSync(emptyBin, { recursive: true, force: true });
});

describe('oxydra runner without a running guest', () => {
  it('status says stopped (exit 1) and names the start command', () => {
    writeRunnerConfig(sandbox);
    const result = sandbox.run('runner', 'status');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('runner for user alice: stopped');
    expect(result.stdout).toContain('oxydra runner start --user alice');
    const json = sandbox.run('runner', 'status', '--json');
    expect(JSON.parse(json.stdout)).toEqual({ running: false, user_id: 'alice' });
  });

  it('stop says not running and succeeds', () => {
    writeRunnerConfig(sandbox);
    const result = sandbox.run('runner', 'stop');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('runner for user alice: not running\n');
  });

  it.each([['tui'], ['start', '--tui']])(
    'runner %s is connect-only: no guest, a clear error, nothing started',
    (...args) => {
      writeRunnerConfig(sandbox);
      const result = sandbox.run('runner', ...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        'error: no running guest for user alice; start it with `oxydra runner start --user alice`\n',
      );
      expect(sandbox.run('runner', 'status').stdout).toContain('stopped');
    },
  );

  it('logs with no runner and no logs warns and prints nothing', () => {
    writeRunnerConfig(sandbox);
    const result = sandbox.run('runner', 'logs');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^warning: no runtime logs yet in .*alice\/logs\n$/);
  });

  it("logs reads the files a stopped runner left, --tail per file, in Oxydra's text format", () => {
    writeRunnerConfig(sandbox);
    const logs = join(workspaceOf(sandbox), 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'runtime.stdout.log'), 'one\ntwo\nthree\n');
    writeFileSync(join(logs, 'runtime.stderr.log'), 'oops\n');
    const result = sandbox.run('runner', 'logs', '--tail', '2');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      '- [process_file][runtime][stdout] two\n- [process_file][runtime][stdout] three\n- [process_file][runtime][stderr] oops\n',
    );
    const json = sandbox.run('runner', 'logs', '--stream', 'stderr', '--format', 'json');
    expect(JSON.parse(json.stdout)).toEqual({
      source: 'process_file',
      role: 'runtime',
      stream: 'stderr',
      message: 'oops',
    });
  });

  it('logs -f prints lines as they are appended, until interrupted', async () => {
    writeRunnerConfig(sandbox);
    const logs = join(workspaceOf(sandbox), 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'runtime.stdout.log'), 'before\n');
    const child = spawn(process.execPath, [OXYDRA_BIN, 'runner', 'logs', '-f'], {
      cwd: sandbox.workspace,
      env: sandbox.env,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await pollUntil(() => stdout.includes('before'), 'the existing line', { timeoutMs: 15_000 });
      appendFileSync(join(logs, 'runtime.stdout.log'), 'after\npartial');
      appendFileSync(join(logs, 'runtime.stderr.log'), 'on stderr\n');
      await pollUntil(() => stdout.includes('on stderr'), 'the appended lines', { timeoutMs: 15_000 });
      appendFileSync(join(logs, 'runtime.stdout.log'), ' line done\n');
      await pollUntil(() => stdout.includes('partial line done'), 'the completed partial line', {
        timeoutMs: 15_000,
      });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stdout).toContain('[runtime][stdout] after\n');
      expect(stdout).not.toContain('[runtime][stdout] partial\n');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('logs rejects a bad flag value with the allowed ones', () => {
    writeRunnerConfig(sandbox);
    const result = sandbox.run('runner', 'logs', '--stream', 'stdin');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--stream: invalid value');
    expect(result.stderr).toContain('expected stdout, stderr, both');
  });
});

describe('oxydra runner configuration errors', () => {
  it('asks for --user when runner.toml has several users', () => {
    writeRunnerConfig(sandbox, { users: { alice: '', bob: '' } });
    const result = sandbox.run('runner', 'status');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/defines 2 users \(alice, bob\); say which with --user/);
    expect(sandbox.run('runner', 'status', '--user', 'bob').stdout).toContain('runner for user bob: stopped');
  });

  it('names an unknown user and a missing runner.toml', () => {
    writeRunnerConfig(sandbox);
    const unknown = sandbox.run('runner', 'status', '--user', 'alise');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--user alise: no such user in .*runner\.toml \(did you mean "alice"\?\)/);
    const missing = sandbox.run('runner', 'status', '--config', 'elsewhere.toml');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/elsewhere\.toml: file not found/);
  });

  it('reports a user file that widens what the runner allows', () => {
    writeRunnerConfig(sandbox, {
      defaultTier: 'container',
      users: { alice: '[behavior]\nsandbox_tier = "process"\n' },
    });
    const result = sandbox.run('runner', 'start');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /sandbox_tier = "process" is weaker than the runner's default_tier "container"/,
    );
  });
});

describe('oxydra runner start refuses tiers it cannot provide', () => {
  it('container tier without docker or podman: names both installs, starts nothing', () => {
    writeRunnerConfig(sandbox, { defaultTier: 'container' });
    sandbox.env.PATH = emptyBin;
    const result = sandbox.run('runner', 'start');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'error: sandbox tier "container" needs a container engine, but neither docker nor podman is on PATH',
    );
    expect(result.stderr).toMatch(/hint: install Docker .* or Podman/);
    expect(sandbox.run('runner', 'status').stdout).toContain('stopped');
  });

  it('micro_vm tier without QEMU', () => {
    writeRunnerConfig(sandbox, { defaultTier: 'micro_vm' });
    sandbox.env.PATH = emptyBin;
    const result = sandbox.run('runner', 'start');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'sandbox tier "micro_vm" cannot start: qemu-system-x86_64 is not on PATH',
    );
    expect(result.stderr).toMatch(/hint: install QEMU \(`sudo apt-get install qemu-system-x86`\)/);
  });

  it('rejects a bad --wait before starting anything', () => {
    writeRunnerConfig(sandbox, { defaultTier: 'micro_vm' });
    const result = sandbox.run('runner', 'start', '--insecure', '--wait', 'soon');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--wait soon: expected a number of seconds');
  });
});
