/**
 * The loop of a command that follows something until the person stops it (`logs -f`): `step`
 * runs, then again every `intervalMs`, until SIGINT or SIGTERM; then it resolves (exit 0 after
 * SIGTERM, 130 after Ctrl+C: interrupted.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { markIfInterrupt } from './interrupted.js';

export async function untilInterrupted(intervalMs: number, step: () => Promise<void>): Promise<void> {
  let stopped = false;
  const stop = (signal: NodeJS.Signals) => {
    markIfInterrupt(signal);
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

/**
 * The signal that stops a foreground service (`scheduler run`, `channels run`): resolves with
 * "SIGINT" or "SIGTERM" at the first of them. Call it before the first line a supervisor may
 * answer with SIGTERM, so that signal is not missed.
 */
export function stopSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const stop = (signal: 'SIGINT' | 'SIGTERM') => {
      markIfInterrupt(signal);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
