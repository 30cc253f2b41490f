/**
 * Answering the kernel's approval questions on the terminal: each approval_requested in a
 * command's stream is asked in turn (one question at a time, in order), and the answer goes back
 * through kernel.approvals.respond. Ctrl+C at a question cancels the run instead of answering.
 */
import type { Kernel, KernelEvent } from '@oxydra/kernel';

export type Ask = (question: string) => Promise<string | undefined>;

export function approvalAnswerer(
  kernel: Kernel,
  ask: Ask,
  cancelRun: (reason: string) => void,
): (envelope: KernelEvent) => void {
  let queue: Promise<void> = Promise.resolve();
  return (envelope) => {
    const { event } = envelope;
    if (event.type !== 'approval_requested') return;
    queue = queue.then(async () => {
      // The renderer takes events in microtasks: once this macrotask turn comes, the `-> tool`
      // line is above the question.
      await new Promise((resolve) => setImmediate(resolve));
      const answer = await ask(`Allow ${event.tool}: ${event.summary}? [y/N] `);
      if (answer === undefined) {
        kernel.approvals.respond(event.id, false);
        cancelRun('cancelled at the approval question (Ctrl+C)');
        return;
      }
      kernel.approvals.respond(event.id, /^y(es)?$/i.test(answer.trim()));
    });
  };
}
