/**
 * Answering the kernel's approval questions on the terminal: each approval_requested in a
 * command's stream is asked in turn (one question at a time, in order), and the answer goes back
 * through kernel.approvals.respond. Ctrl+C at a question cancels the run instead of answering. A
 * question settled elsewhere while on screen (its tool call's deadline passed, the timeout, the
 * run ended) is closed at once, so the next line typed is not swallowed by a dead question.
 */
import type { Kernel, KernelEvent } from '@oxydra/kernel';
import { visibleControls } from '@oxydra/types';

/** Asks on the terminal; `signal` closes the question unanswered (undefined). */
export type Ask = (question: string, signal: AbortSignal) => Promise<string | undefined>;

export interface ApprovalAnswerer {
  /** Takes every event of the stream: questions are asked, resolutions close them. */
  handle(envelope: KernelEvent): void;
  /** A question is on screen now (progress lines would land inside it). */
  readonly asking: boolean;
}

export function approvalAnswerer(
  kernel: Kernel,
  ask: Ask,
  cancelRun: (reason: string) => void,
  note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ApprovalAnswerer {
  let queue: Promise<void> = Promise.resolve();
  /** Questions settled before (or while) being asked, by id, with who settled them. */
  const settled = new Map<string, string>();
  let open: { id: string; close: AbortController } | undefined;
  return {
    get asking() {
      return open !== undefined;
    },
    handle(envelope) {
      const { event } = envelope;
      if (event.type === 'approval_resolved') {
        if (event.by === 'respond') return;
        settled.set(event.id, event.by);
        if (open?.id === event.id) open.close.abort();
        return;
      }
      if (event.type !== 'approval_requested') return;
      queue = queue.then(async () => {
        if (settled.has(event.id)) return;
        // The renderer takes events in microtasks: once this macrotask turn comes, the `-> tool`
        // line is above the question.
        await new Promise((resolve) => setImmediate(resolve));
        const close = new AbortController();
        open = { id: event.id, close };
        const answer = await ask(
          `Allow ${event.tool}: ${visibleControls(event.summary)}? [y/N] `,
          close.signal,
        ).finally(() => {
          open = undefined;
        });
        const by = settled.get(event.id);
        if (by !== undefined) {
          note(
            by === 'timeout' ? '(no answer in time: not run)' : '(the call ended before an answer: not run)',
          );
          return;
        }
        if (answer === undefined) {
          kernel.approvals.respond(event.id, false);
          cancelRun('cancelled at the approval question (Ctrl+C)');
          return;
        }
        kernel.approvals.respond(event.id, /^y(es)?$/i.test(answer.trim()));
      });
    },
  };
}
