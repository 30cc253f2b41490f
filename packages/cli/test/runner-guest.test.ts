/**
 * The hidden `oxydra guest`: it refuses to start without a valid bootstrap envelope (checked on
 * the guest's side too), and turns the envelope into configuration (shell, sandbox, vault, limits).
 */
import { spawnSync } from 'node:child_process';
import { encodeFrame } from '@oxydra/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { guestPolicy } from '../src/commands/guest-gateway.js';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

let sandbox: CliSandbox | undefined;
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

function guest(args: string[], stdin: Buffer | string) {
  sandbox ??= new CliSandbox();
  return spawnSync(process.execPath, [OXYDRA_BIN, 'guest', ...args], {
    cwd: sandbox.workspace,
    env: sandbox.env,
    input: stdin,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

const mounts = { shared: '/w/alice/shared', tmp: '/w/alice/tmp', vault: '/w/alice/vault' };

describe('oxydra guest refuses a bad envelope', () => {
  it('needs --bootstrap-stdin or --bootstrap-file', () => {
    const result = guest([], '');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'oxydra guest needs its bootstrap envelope: --bootstrap-stdin or --bootstrap-file PATH',
    );
  });

  it('names the invalid field of an envelope frame on stdin', () => {
    const result = guest(
      ['--bootstrap-stdin'],
      encodeFrame({ user_id: '', sandbox_tier: 'process', workspace_root: '/w/alice' }),
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: invalid bootstrap envelope: user_id: user_id must not be empty');
  });

  it('reports stdin that is not a frame: a huge length prefix, or too few bytes', () => {
    const text = guest(['--bootstrap-stdin'], 'hello');
    expect(text.status).toBe(2);
    expect(text.stderr).toMatch(/cannot read the bootstrap envelope from stdin: frame of \d+ bytes exceeds/);
    const short = guest(['--bootstrap-stdin'], 'ab');
    expect(short.status).toBe(2);
    expect(short.stderr).toContain(
      'cannot read the bootstrap envelope from stdin: stream ended inside a frame',
    );
  });

  it('reports a missing envelope file', () => {
    const result = guest(['--bootstrap-file', '/nonexistent/runner_bootstrap.json'], '');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'cannot read the bootstrap envelope file /nonexistent/runner_bootstrap.json',
    );
  });
});

describe('guestPolicy', () => {
  const status = (degraded: { code: 'insecure_process_tier'; detail: string }[] = [], shell = true) => ({
    sandbox_tier: 'process' as const,
    sidecar_available: false,
    shell_available: shell,
    browser_available: false,
    degraded_reasons: degraded,
  });
  it('process tier: a required OS sandbox, the vault, and the user limits on each command', () => {
    const policy = guestPolicy({
      user_id: 'alice',
      sandbox_tier: 'process',
      workspace_root: '/w/alice',
      runtime_policy: { mounts, resources: { max_processes: 64, max_memory_mib: 256 }, credential_refs: {} },
      startup_status: status(),
    });
    expect(policy).toEqual({
      shell: true,
      sandbox: 'required',
      vaultPath: '/w/alice/vault',
      maxProcesses: 64,
      maxMemoryMib: 256,
    });
  });

  it('--insecure runs shell commands bare; no shell means no shell_exec at all', () => {
    const insecure = guestPolicy({
      user_id: 'alice',
      sandbox_tier: 'process',
      workspace_root: '/w/alice',
      startup_status: status([{ code: 'insecure_process_tier', detail: '--insecure' }]),
    });
    expect(insecure).toEqual({ shell: true, sandbox: 'none' });
    const noShell = guestPolicy({
      user_id: 'alice',
      sandbox_tier: 'process',
      workspace_root: '/w/alice',
      startup_status: status([], false),
    });
    expect(noShell).toEqual({ shell: false, sandbox: 'required' });
  });
});
