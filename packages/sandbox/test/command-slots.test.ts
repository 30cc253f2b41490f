/**
 * A runner starts at most max_concurrent_commands sandboxes at once; the other commands wait
 * their turn and then run. Before, a batch of shell_exec calls started a sandbox each, all at
 * once. Real bubblewrap: each command writes "s i" to a log, waits for its own gate file, then
 * writes "e i"; the test opens the gates one at a time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runnerAtFirstCommand } from '../src/exports/detect.js';
import { type Fixture, fixture, HAS_BWRAP, policy } from './helpers.js';

/** The sandboxes this test process started (bwrap's outer processes are its own children). */
function ownSandboxes(workspace: string): number {
  return execFileSync('ps', ['-eo', 'ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => {
      const [ppid, stat] = line.trim().split(/\s+/, 2);
      return (
        Number(ppid) === process.pid &&
        !stat?.startsWith('Z') &&
        line.includes('bwrap') &&
        line.includes(workspace)
      );
    }).length;
}

describe.skipIf(!HAS_BWRAP)('concurrent sandboxed commands', () => {
  let f: Fixture;
  beforeEach(() => {
    f = fixture();
  });
  afterEach(() => f.cleanup());

  const options = (signal?: AbortSignal, slot?: string) => ({
    cwd: f.workspace,
    env: { PATH: '/usr/bin:/bin' },
    timeoutMs: 60_000,
    ...(signal ? { signal } : {}),
    ...(slot ? { slot } : {}),
  });
  const gated = (id: number) =>
    `echo "s ${id}" >> log; until [ -e go-${id} ]; do sleep 0.02; done; echo "e ${id}" >> log`;
  const log = (): string[] => {
    const file = path.join(f.workspace, 'log');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  const ids = (mark: 's' | 'e') =>
    log()
      .filter((line) => line.startsWith(`${mark} `))
      .map((line) => Number(line.slice(2)));

  it('runs at most max_concurrent_commands at once; the rest wait their turn and all run', async () => {
    const run = runnerAtFirstCommand('bubblewrap', policy(), { workspace: f.workspace, maxConcurrent: 2 });
    const results = [0, 1, 2, 3, 4].map((id) => run(gated(id), options()));
    await pollUntil(() => ids('s').length >= 2, 'two commands to start', { timeoutMs: 30_000 });
    // Every sandbox of the batch that was started is blocked at its gate: only two exist.
    expect(ownSandboxes(f.workspace)).toBe(2);
    for (let released = 0; released < 5; released++) {
      const waiting = Math.min(2, 5 - released);
      const started = await pollUntil(
        () => {
          const running = ids('s').filter((id) => !ids('e').includes(id));
          return running.length >= waiting ? running : undefined;
        },
        `${waiting} commands running`,
        { timeoutMs: 30_000 },
      );
      const next = started[0]!;
      writeFileSync(path.join(f.workspace, `go-${next}`), '');
      await pollUntil(() => ids('e').includes(next), `command ${next} to end`, { timeoutMs: 30_000 });
    }
    for (const result of await Promise.all(results)) expect(result.exitCode).toBe(0);
    let running = 0;
    let most = 0;
    for (const line of log()) {
      running += line.startsWith('s ') ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
    expect(ids('e').sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('a command cancelled while it waits leaves the queue without running', async () => {
    const run = runnerAtFirstCommand('bubblewrap', policy(), { workspace: f.workspace, maxConcurrent: 1 });
    const first = run(gated(0), options());
    const abort = new AbortController();
    const second = run(gated(1), options(abort.signal));
    await pollUntil(() => ids('s').includes(0), 'the first command to start', { timeoutMs: 30_000 });
    abort.abort();
    expect(await second).toMatchObject({ cancelled: true, exitCode: null, pid: undefined });
    writeFileSync(path.join(f.workspace, 'go-0'), '');
    expect((await first).exitCode).toBe(0);
    // The slot it waited for goes to the next command.
    expect((await run('echo third', options())).output).toBe('third\n');
    expect(ids('s')).toEqual([0]);
  });

  it("counts each session's commands apart: one session's running commands hold no other session back", async () => {
    const run = runnerAtFirstCommand('bubblewrap', policy(), { workspace: f.workspace, maxConcurrent: 1 });
    const alice = run(gated(0), options(undefined, 'session-alice'));
    await pollUntil(() => ids('s').includes(0), "alice's command to start", { timeoutMs: 30_000 });
    // Alice's slot is taken and her command blocked at its gate; Bob's session has its own slot.
    const bob = await run('echo bob', options(undefined, 'session-bob'));
    expect(bob.output).toBe('bob\n');
    // Alice's next command still waits for hers.
    const aliceNext = run(gated(1), options(undefined, 'session-alice'));
    writeFileSync(path.join(f.workspace, 'go-1'), '');
    expect(ids('s')).toEqual([0]);
    writeFileSync(path.join(f.workspace, 'go-0'), '');
    expect((await alice).exitCode).toBe(0);
    expect((await aliceNext).exitCode).toBe(0);
    expect(log()).toEqual(['s 0', 'e 0', 's 1', 'e 1']);
  });
});
