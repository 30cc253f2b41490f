/**
 * Asking a person before a privileged tool runs (tools.approval = "ask"). Only when someone can
 * answer: stdin and stderr are terminals and the output is not JSON; then the kernel's
 * approval_requested events are asked here (approval-answers.ts). Otherwise the kernel denies
 * the call with a message saying how to allow it (--yes).
 *
 * The question goes through the terminal input its command already reads (chat's own prompt),
 * so an answer is read once, is never mistaken for a steering message, and Ctrl+C at the
 * question cancels the run instead of counting as "no".
 */
import type { Interface } from 'node:readline';
import { createInterface } from 'node:readline';
import { markInterrupted } from './interrupted.js';

/**
 * One question at a time on a readline interface. The answer goes to the question, not to the
 * interface's 'line' listeners (readline hands a line to a pending question only).
 */
export class TerminalQuestion {
  #open: AbortController | undefined;

  constructor(private readonly rl: Interface) {
    rl.once('close', () => this.cancel());
  }

  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  /** The typed line, or undefined when the question was cancelled (Ctrl+C, input closed). */
  ask(question: string): Promise<string | undefined> {
    if (this.#open) return Promise.resolve(undefined);
    const controller = new AbortController();
    this.#open = controller;
    return new Promise((resolve) => {
      const settle = (answer: string | undefined) => {
        if (this.#open === controller) this.#open = undefined;
        resolve(answer);
      };
      controller.signal.addEventListener('abort', () => settle(undefined), { once: true });
      try {
        this.rl.question(question, { signal: controller.signal }, (answer) => settle(answer));
      } catch {
        settle(undefined); // the input is already closed: nobody can answer
      }
    });
  }

  /** Cancels the open question; false when none is open (Ctrl+C then means something else). */
  cancel(): boolean {
    const open = this.#open;
    if (!open) return false;
    this.#open = undefined;
    open.abort();
    return true;
  }
}

/** Whether a person can answer approval questions here. */
export function canAskApproval(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/**
 * For `oxydra run`, which reads no other input: a readline opened for each question and closed
 * after it, so outside questions Ctrl+C stays the process signal the run's interrupt handler takes.
 */
export function askOnce(question: string, signal?: AbortSignal): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const asking = new TerminalQuestion(rl);
  rl.on('SIGINT', () => {
    // Ctrl+C at the question cancels the run, which then ends with 130.
    markInterrupted();
    asking.cancel();
  });
  signal?.addEventListener('abort', () => asking.cancel(), { once: true });
  return asking.ask(question).finally(() => rl.close());
}
