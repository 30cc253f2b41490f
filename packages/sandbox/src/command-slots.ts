/**
 * At most `max` sandboxed commands of one session at once; the others wait their turn, in order.
 * A model may ask for fifty shell_exec calls in one batch, and each is a sandbox: processes, a
 * pids cgroup, a /tmp of tmp_size_mib in RAM. Before, all fifty started together. The slots are
 * counted per session (RunCommandOptions.slot), not per process: a gateway's kernel runs every
 * user's agents, and one process-wide queue let one user's long commands hold everyone else's
 * back. A command's timeout counts from its start, not from its wait; a cancelled run (Ctrl+C,
 * the turn's end) leaves the queue at once, as a cancelled command.
 */
import { type CommandRunner, cancelledBeforeStart } from './types.js';

export const DEFAULT_MAX_CONCURRENT_COMMANDS = 4;

/** One session's slots: how many of its commands run, and the ones waiting, oldest first. */
interface Slots {
  running: number;
  waiting: Array<() => void>;
}

export function limitConcurrency(runner: CommandRunner, max: number): CommandRunner {
  /** Only sessions with a command running or waiting are here: the map stays as small as that. */
  const bySession = new Map<string, Slots>();
  // A finished command hands its slot straight to the next waiting one: `running` is unchanged.
  const release = (key: string, slots: Slots): void => {
    const next = slots.waiting.shift();
    if (next) next();
    else if (--slots.running === 0) bySession.delete(key);
  };
  const acquire = (slots: Slots, signal: AbortSignal | undefined): Promise<boolean> => {
    if (slots.running < max) {
      slots.running += 1;
      return Promise.resolve(true);
    }
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', leave);
        resolve(true);
      };
      const leave = (): void => {
        const index = slots.waiting.indexOf(grant);
        if (index >= 0) slots.waiting.splice(index, 1);
        resolve(false);
      };
      slots.waiting.push(grant);
      signal?.addEventListener('abort', leave, { once: true });
    });
  };
  return async (command, run) => {
    const key = run.slot ?? '';
    let slots = bySession.get(key);
    if (!slots) {
      slots = { running: 0, waiting: [] };
      bySession.set(key, slots);
    }
    if (!(await acquire(slots, run.signal))) {
      // Left the queue before its turn: a session with nothing else running or waiting goes.
      if (slots.running === 0 && slots.waiting.length === 0) bySession.delete(key);
      return cancelledBeforeStart();
    }
    try {
      return await runner(command, run);
    } finally {
      release(key, slots);
    }
  };
}
