/**
 * At most `max` sandboxed commands of a runner at once; the others wait their turn, in order.
 * A model may ask for fifty shell_exec calls in one batch, and each is a sandbox: processes, a
 * pids cgroup, a /tmp of tmp_size_mib in RAM. Before, all fifty started together. A command's
 * timeout counts from its start, not from its wait; a cancelled run (Ctrl+C, the turn's end)
 * leaves the queue at once, as a cancelled command.
 */
import { type CommandRunner, cancelledBeforeStart } from './types.js';

export const DEFAULT_MAX_CONCURRENT_COMMANDS = 4;

export function limitConcurrency(runner: CommandRunner, max: number): CommandRunner {
  let running = 0;
  const waiting: Array<() => void> = [];
  // A finished command hands its slot straight to the next waiting one: `running` is unchanged.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  const acquire = (signal: AbortSignal | undefined): Promise<boolean> => {
    if (running < max) {
      running += 1;
      return Promise.resolve(true);
    }
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', leave);
        resolve(true);
      };
      const leave = (): void => {
        const index = waiting.indexOf(grant);
        if (index >= 0) waiting.splice(index, 1);
        resolve(false);
      };
      waiting.push(grant);
      signal?.addEventListener('abort', leave, { once: true });
    });
  };
  return async (command, run) => {
    if (!(await acquire(run.signal))) return cancelledBeforeStart();
    try {
      return await runner(command, run);
    } finally {
      release();
    }
  };
}
