/**
 * The loop of a command that follows something until the person stops it (`logs -f`): `step`
 * runs, then again every `intervalMs`, until SIGINT or SIGTERM; then it resolves (exit 0).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function untilInterrupted(intervalMs: number, step: () => Promise<void>): Promise<void> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      await step();
      if (!stopped) await sleep(intervalMs);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
