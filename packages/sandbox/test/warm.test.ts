/**
 * Sandboxes started ahead of their command (warm-sandbox.ts): what they run is exactly what a
 * cold start would, they never outlive their use, and a change of mounts since they started
 * (a secrets folder created meanwhile) is never missed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBubblewrapRunner } from '../src/index.js';
import { type Fixture, fixture, HAS_BWRAP, policy } from './helpers.js';

/** bwrap processes whose arguments mention `text` (a test's own workspace). */
function bwrapsWith(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('bwrap') && line.includes(text) && !/^\s*\d+\s+Z/.test(line));
}

// Skipped only where bubblewrap is absent: there is no sandbox to start ahead of time.
describe.skipIf(!HAS_BWRAP)('sandboxes started ahead of their command', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => {
    f.cleanup();
  });

  const options = (extra: Record<string, string> = {}) => ({
    cwd: f.workspace,
    env: { PATH: '/usr/bin:/bin', ...extra },
    timeoutMs: 20_000,
  });

  it('runs each command as /bin/sh -c command, with its own environment and directory, and no trace of how it came', async () => {
    const run = createBubblewrapRunner(policy({ envAllowlist: ['PATH', 'LANG'] }), {
      workspace: f.workspace,
    });
    mkdirSync(path.join(f.workspace, 'sub'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
    const script = 'echo "zero=$0 lang=${LANG:-none} cmd=${OXYDRA_COMMAND:-unset} pwd=$(pwd)"; exit 4';
    const first = await run(script, options());
    const second = await run(script, { ...options({ LANG: 'C.UTF-8' }), cwd: path.join(f.workspace, 'sub') });
    expect(first.exitCode).toBe(4);
    expect(first.output).toBe(`zero=/bin/sh lang=none cmd=unset pwd=${f.workspace}\n`);
    // The second ran in the sandbox started ahead of it: same semantics, its own env and cwd.
    expect(second.exitCode).toBe(4);
    expect(second.output).toBe(`zero=/bin/sh lang=C.UTF-8 cmd=unset pwd=${f.workspace}/sub\n`);
  });

  it('masks a secrets folder created after the next sandbox was started', async () => {
    const run = createBubblewrapRunner(policy(), { workspace: f.workspace, home: f.home });
    rmSync(path.join(f.workspace, '.oxydra'), { recursive: true, force: true });
    await run('true', options()); // a sandbox for the next command is started now, without .oxydra
    mkdirSync(path.join(f.workspace, '.oxydra'));
    writeFileSync(path.join(f.workspace, '.oxydra', 'key.toml'), 'api_key = "LATE-SECRET"\n');
    const r = await run('cat .oxydra/key.toml; echo END', options());
    expect(r.output).not.toContain('LATE-SECRET');
    expect(r.output).toContain('END');
  });

  it('refuses a command holding a NUL byte instead of passing bwrap an extra option', async () => {
    const run = createBubblewrapRunner(policy(), { workspace: f.workspace });
    await run('true', options());
    const marker = path.join(f.root, 'outside-marker');
    await expect(run(`echo x > ${marker}\0--bind\0/\0/`, options())).rejects.toThrow(/NUL/);
    // Nothing ran, and the runner still works.
    expect(readdirSync(f.root)).not.toContain('outside-marker');
    expect((await run('echo fine', options())).output).toBe('fine\n');
  });

  it('stops an unused sandbox after the idle time', async () => {
    const run = createBubblewrapRunner(policy(), { workspace: f.workspace, warmIdleMs: 300 });
    await run('true', options());
    await pollUntil(() => bwrapsWith(f.workspace).length === 1, 'the next sandbox to start');
    await pollUntil(() => bwrapsWith(f.workspace).length === 0, 'the idle sandbox to stop');
  });

  it('falls back to a fresh sandbox when the waiting one was killed from outside', async () => {
    const run = createBubblewrapRunner(policy(), { workspace: f.workspace });
    await run('true', options());
    await pollUntil(() => bwrapsWith(f.workspace).length === 1, 'the next sandbox to start');
    for (const line of bwrapsWith(f.workspace)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    // Gone (or a zombie) before the next command: killed while waiting, not during the handover.
    await pollUntil(() => bwrapsWith(f.workspace).length === 0, 'the killed sandbox to die');
    const r = await run('echo again', options());
    expect(r.exitCode).toBe(0);
    expect(r.output).toBe('again\n');
  });

  it('leaves no sandbox behind when the process exits', () => {
    const dist = new URL('../dist/index.js', import.meta.url).pathname;
    const script = `
      const { createBubblewrapRunner } = await import(${JSON.stringify(dist)});
      const run = createBubblewrapRunner(${JSON.stringify(policy())}, { workspace: ${JSON.stringify(f.workspace)} });
      await run('true', { cwd: ${JSON.stringify(f.workspace)}, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10000 });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the next sandbox is waiting now
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return pollUntil(() => bwrapsWith(f.workspace).length === 0, 'the waiting sandbox to be killed');
  });

  it("gives each command a private /tmp that is a tmpfs, leaving nothing on the host's disk", async () => {
    const run = createBubblewrapRunner(policy(), { workspace: f.workspace });
    const marker = `oxydra-tmp-marker-${process.pid}`;
    const first = await run(`echo kept > /tmp/${marker}; echo hi > $HOME/h; stat -f -c %T /tmp`, options());
    expect(first.output).toBe('tmpfs\n');
    // The next command (started ahead of time) sees a fresh /tmp, and the host's never held it.
    const second = await run(`cat /tmp/${marker} $HOME/h 2>&1 || echo gone`, options());
    expect(second.output).toContain('gone');
    expect(readdirSync(tmpdir())).not.toContain(marker);
  });
});
