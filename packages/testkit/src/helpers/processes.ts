/**
 * Finding the host processes a test started, and checking they are gone once they should be:
 * the cleanup tests of the CLI, the sandbox and the shell daemon all ask this, of `ps`.
 */
import { execFileSync } from 'node:child_process';
import { pollUntil } from './poll.js';

/** A sleep duration no other process on the machine uses, so `ps` finds only the test's own. */
export function uniqueSleep(): string {
  return `${1000 + Math.floor(Math.random() * 8000)}.${process.pid}${Math.floor(Math.random() * 1000)}`;
}

/** Live host processes whose command line contains `text` (zombies are dead, awaiting their reaper). */
export function processesWith(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .filter((line) => !/^\s*\d+\s+Z/.test(line));
}

/**
 * The processes still matching `text` once they have had `withinMs` to die. A SIGKILL is
 * delivered asynchronously, and a sandbox's processes die only after its namespace init, so a
 * `ps` taken the instant the CLI exits can still list them; a process still there seconds
 * later really was left behind. Resolves (never rejects on timeout) so the test's own
 * `expect(...).toEqual([])` shows the leftover command lines.
 */
export async function processesLeftBehind(text: string, withinMs = 5000): Promise<string[]> {
  try {
    await pollUntil(() => processesWith(text).length === 0, `processes matching ${text} to exit`, {
      timeoutMs: withinMs,
      intervalMs: 50,
    });
    return [];
  } catch {
    return processesWith(text); // timed out: what is still there was left behind (a broken ps throws here again)
  }
}
