/**
 * A cancelled run ends without waiting for its tools, and the CLI exits at once: whatever the
 * commands started must die with it. Each case runs a fresh node process that starts a command
 * ignoring SIGTERM (so only the exit-time SIGKILL can stop it), aborts it and exits.
 */
import { spawnSync } from 'node:child_process';
import { processesLeftBehind, tempWorkspace } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { HAS_BWRAP } from './helpers.js';

const dist = new URL('../dist/index.js', import.meta.url).pathname;

/** Runs `start` (an expression yielding a command runner promise) in a process that then exits. */
function abortAndExit(startCommand: string): void {
  const script = `
    const sandbox = await import(${JSON.stringify(dist)});
    const controller = new AbortController();
    const options = { cwd: '/', env: { PATH: process.env.PATH }, timeoutMs: 60000, signal: controller.signal, killGraceMs: 60000 };
    void (${startCommand});
    setTimeout(() => { controller.abort(); process.exit(0); }, 500);
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

function uniqueSleep(): string {
  return `${3000 + Math.floor(Math.random() * 6000)}.${process.pid}${Math.floor(Math.random() * 1000)}`;
}

/** A command that ignores SIGTERM and leaves one sleep in its group and one in a new session. */
function stubborn(marker: string): string {
  return `trap "" TERM; setsid sleep ${marker} & sleep ${marker} & wait`;
}

describe('runProcessGroup when its process exits', () => {
  it('kills commands still running, even ones that ignore SIGTERM', async () => {
    const marker = uniqueSleep();
    abortAndExit(
      `sandbox.runProcessGroup(['/bin/sh', '-c', 'trap "" TERM; sleep ${marker} & sleep ${marker}; wait'], options)`,
    );
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  });
});

// Skipped only where bubblewrap is absent: there is no sandbox to stop.
describe.skipIf(!HAS_BWRAP)('a sandboxed command when its process exits', () => {
  it.each([
    ['without a cgroup (SIGKILL reaches the sandbox pid 1)', 'undefined'],
    ['in a pids cgroup (cgroup.kill)', '{ processes: 64 }'],
  ])('dies with everything it started, setsid included: %s', async (_name, limits) => {
    const marker = uniqueSleep();
    const scratch = tempWorkspace({ prefix: 'oxydra-exit-' });
    const workspace = scratch.dir;
    try {
      const policy = `{ readableRoots: [], writableRoots: [], deniedPaths: [], network: 'off', envAllowlist: ['PATH'], limits: ${limits} }`;
      abortAndExit(
        `sandbox.createBubblewrapRunner(${policy}, { workspace: ${JSON.stringify(workspace)} })(${JSON.stringify(stubborn(marker))}, { ...options, cwd: ${JSON.stringify(workspace)} })`,
      );
      expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
    } finally {
      scratch.cleanup();
    }
  });
});
