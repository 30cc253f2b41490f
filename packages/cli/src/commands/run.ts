/**
 * `oxydra run <prompt>`: one agent in the current directory as its workspace. Text streams to
 * stdout, tool activity and the closing usage line to stderr; --json prints every event as a
 * JSON line instead, the last being run_completed or run_failed (sub-agents' lines carry their
 * agentId). Exit 0 when the run completes, 1 when it fails (provider error, budget,
 * cancelled), 2 for usage/config mistakes.
 */
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { askOnce, canAskApproval } from '../run/approval.js';
import { approvalAnswerer } from '../run/approval-answers.js';
import { colorFor } from '../run/color.js';
import { onInterrupt } from '../run/interrupt.js';
import { readPrompt } from '../run/prompt.js';
import { jsonLine, renderEvent } from '../run/render-agents.js';
import { TextRenderer } from '../run/render-text.js';
import { openCliKernel, type RunFlags, spawnSpecFromFlags } from '../run/spawn-flags.js';
import { agentWorkspace } from '../run/workspace.js';

export { colorFor };

export async function runRun(promptWords: string[], flags: RunFlags): Promise<number> {
  const prompt = await readPrompt(promptWords);
  const kernel = await openCliKernel(flags, { workspace: agentWorkspace() });
  try {
    const spec = await spawnSpecFromFlags(flags, kernel.config);
    // On a terminal, say how commands are isolated (pipes and --json get only the warnings).
    if (!flags.json && process.stderr.isTTY) process.stderr.write(`sandbox: ${kernel.sandbox.summary}\n`);
    const askApprovals = !flags.json && canAskApproval();
    // A mistyped --session is refused now, as a usage error, before anything runs.
    if (spec.sessionId !== undefined) spec.sessionId = await kernel.resolveSession(spec.sessionId);
    const agent = kernel.agents.spawn({ ...spec, prompt, askApprovals });
    const cancel = (reason: string) => void agent.cancel(reason);
    const answer = askApprovals ? approvalAnswerer(kernel, askOnce, cancel) : undefined;
    const release = onInterrupt(() => cancel('interrupted by the user (Ctrl+C)'));
    try {
      const renderer = new TextRenderer({
        stdout: process.stdout,
        stderr: process.stderr,
        color: colorFor(process.stderr),
      });
      const names = new Map<string, string>();
      for await (const envelope of agent.events) {
        answer?.handle(envelope);
        // Heartbeats would be written into the question line the user is typing on.
        if (answer?.asking && envelope.event.type === 'progress') continue;
        if (!flags.json) renderEvent(renderer, envelope, agent.id, names);
        else {
          const line = jsonLine(envelope, agent.id);
          if (line !== undefined) process.stdout.write(`${line}\n`);
        }
      }
      const result = await agent.result;
      return result.status === 'completed' ? EXIT_OK : EXIT_FAILURE;
    } finally {
      release();
    }
  } finally {
    await kernel.close();
  }
}
