/**
 * Ctrl+C ends every command with exit code 130 (128 + SIGINT), as a shell reports a program
 * that SIGINT ended, so a script can tell an interrupted command apart from a failed one (1)
 * and a done one (0). The rule lives here, once: a command that handles Ctrl+C itself (a run
 * cancels its turn and saves the session, a service stops cleanly) does all of that, calls
 * markInterrupted(), and the process's exit code becomes 130 as it exits (set in an `exit`
 * listener added only then, whatever code the command returned). A command that does not
 * handle SIGINT is ended by it, which the shell reports as 130 too. SIGTERM, a supervisor's
 * stop, keeps the command's own code. Ctrl+C read as a key (a terminal in raw mode: a
 * question, the chat prompt, the TUI) sends no signal: where that key ends the command, the
 * code calls markInterrupted() the same way.
 *
 * No SIGINT listener of its own: one would turn Node's exit on SIGINT off for the commands that have
 * none, and keep signal-exit (the TUI's Ink) from ending the process on a SIGINT.
 */
import { EXIT_INTERRUPTED } from '../exit-codes.js';

let interrupted = false;

/** Ctrl+C (SIGINT, or the key) ended this command: its exit code is 130 when the process exits, however it ends. */
export function markInterrupted(): void {
  if (interrupted) return;
  interrupted = true;
  process.once('exit', () => {
    process.exitCode = EXIT_INTERRUPTED;
  });
}

/** For a handler of both signals: SIGINT marks the command interrupted, SIGTERM does not. */
export function markIfInterrupt(signal: string): void {
  if (signal === 'SIGINT') markInterrupted();
}
