/** Finding the processes a test started, and waiting for them to be gone. */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A sleep duration no other process on the machine uses, so `ps` finds only ours. */
export function uniqueSleep(): string {
  return `${1000 + Math.floor(Math.random() * 8000)}.${process.pid}${Math.floor(Math.random() * 1000)}`;
}

/** Host processes whose command line contains `text`. */
export function processesWith(text: string): string[] {
  const list = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' });
  return list
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .filter((line) => !/^\s*\d+\s+Z/.test(line)); // zombies are dead, awaiting their reaper
}

/**
 * The processes still matching `text` once they have had `withinMs` to die. A SIGKILL is
 * delivered asynchronously, and a sandbox's processes die only after its namespace init, so a
 * `ps` taken the instant the CLI exits can still list them; a process still there seconds
 * later really was left behind.
 */
export async function processesLeftBehind(text: string, withinMs = 5000): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = processesWith(text);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(50);
  }
}
