import { realpathSync } from 'node:fs';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../src/process/run-command.js';
import { isAlive, makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const run = (command: string, extra: Partial<Parameters<typeof runCommand>[1]> = {}) =>
  runCommand(command, { cwd: ws.root, env, timeoutMs: 60_000, killGraceMs: 500, ...extra });

/** The pids a command printed, one per line (`sleep 100 & echo $!`). */
const pidsIn = (output: string): number[] =>
  output
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);

/** Runs a command until it has printed `count` pids, then hands them over with the result's promise. */
async function startWithPids(
  command: string,
  count: number,
  extra: Partial<Parameters<typeof runCommand>[1]> = {},
) {
  const file = `${ws.root}/pids`;
  const pending = run(`${command.replaceAll('PIDFILE', file)}`, extra);
  const { readFileSync } = await import('node:fs');
  let pids: number[] = [];
  await pollUntil(
    () => {
      try {
        pids = pidsIn(readFileSync(file, 'utf8'));
      } catch {
        pids = [];
      }
      return pids.length >= count;
    },
    `the pid file to list ${count} processes`,
    { timeoutMs: 15_000 },
  );
  return { pending, pids };
}

describe('runCommand', () => {
  it('reports the exit code and interleaved output, in the given cwd and env', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
    const result = await run('echo out; echo err >&2; pwd; echo "key=${OPENAI_API_KEY:-unset}"; exit 3');
    expect(result.exitCode).toBe(3);
    expect(result.timedOut).toBe(false);
    expect(result.cancelled).toBe(false);
    expect(result.output.split('\n').sort()).toEqual(
      ['', 'err', 'key=unset', 'out', realpathSync(ws.root)].sort(),
    );
  });

  it('gets no input', async () => {
    const result = await run('cat; echo done');
    expect(result.output).toBe('done\n');
  });

  it('on timeout kills the whole process group, escalating to SIGKILL', async () => {
    // The second sleep ignores SIGTERM, so only the SIGKILL after the grace period stops it.
    const { pending, pids } = await startWithPids(
      "sleep 100 & echo $! >> PIDFILE; (trap '' TERM; sleep 100) & echo $! >> PIDFILE; sleep 100",
      2,
      { timeoutMs: 300 },
    );
    const result = await pending;
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.pid).toBeDefined();
    const all = [...pids, result.pid ?? 0];
    await pollUntil(() => all.every((pid) => !isAlive(pid)), 'the processes to be gone', {
      timeoutMs: 15_000,
    });
  });

  it('on cancel kills the whole process group', async () => {
    const controller = new AbortController();
    const { pending, pids } = await startWithPids(
      'sleep 100 & echo $! >> PIDFILE; sleep 100 & echo $! >> PIDFILE; wait',
      2,
      { signal: controller.signal },
    );
    expect(pids.every(isAlive)).toBe(true);
    controller.abort();
    const result = await pending;
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    await pollUntil(() => pids.every((pid) => !isAlive(pid)), 'the processes to be gone', {
      timeoutMs: 15_000,
    });
  });

  it('stops background processes left behind when the command finishes', async () => {
    const result = await run('sleep 100 > /dev/null 2>&1 & echo $!');
    expect(result.exitCode).toBe(0);
    const [pid] = pidsIn(result.output);
    expect(pid).toBeDefined();
    await pollUntil(() => !isAlive(pid ?? 0), 'the processes to be gone', { timeoutMs: 15_000 });
  });

  it('returns at once, without running, when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await run(`touch ${ws.root}/ran`, { signal: controller.signal });
    expect(result).toMatchObject({ cancelled: true, exitCode: null, output: '' });
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${ws.root}/ran`)).toBe(false);
  });

  it('keeps the start and end of long output and counts every byte', async () => {
    const result = await run('i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done', {
      maxOutputBytes: 64,
    });
    expect(result.outputBytes).toBe(Array.from({ length: 2000 }, (_, i) => `line${i}\n`).join('').length);
    expect(result.output.startsWith('line0\nline1\n')).toBe(true);
    expect(result.output.endsWith('line1998\nline1999\n')).toBe(true);
    expect(result.output).toMatch(/\[\.\.\. \d+ bytes of output omitted \.\.\.\]/);
  });

  it('rejects when the shell cannot start', async () => {
    await expect(run('true', { cwd: `${ws.root}/missing` })).rejects.toThrow();
  });
});
