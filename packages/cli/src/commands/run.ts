/**
 * `oxydra run <prompt>`: one agent in the current directory as its workspace. Text streams to
 * stdout, tool activity and the closing usage line to stderr; --json prints every event as a
 * JSON line instead, the last being run_completed or run_failed (sub-agents' lines carry their
 * agentId). Exit 0 when the run completes, 1 when it fails (provider error, budget,
 * cancelled), 130 when Ctrl+C cancelled it, 2 for usage/config mistakes. With --spec (or --criterion/--constraint) the run is
 * spec-first: commands/run-spec.ts.
 */
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { canAskApproval } from '../run/approval.js';
import { colorFor } from '../run/color.js';
import { agentWorkspace } from '../run/load-config.js';
import {
  isSpecRun,
  openCliKernel,
  type RunFlags,
  type SpecFlags,
  spawnSpecFromFlags,
} from '../run/spawn-flags.js';
import { onInterrupt, readPrompt, streamAgent } from '../run/terminal-run.js';

export { colorFor };

export async function runRun(promptWords: string[], flags: RunFlags & SpecFlags): Promise<number> {
  if (isSpecRun(flags)) return (await import('./run-spec.js')).runSpecRun(promptWords, flags);
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
    const release = onInterrupt(() => void agent.cancel('interrupted by the user (Ctrl+C)'));
    try {
      await streamAgent(kernel, agent, { json: flags.json === true, askApprovals });
      const result = await agent.result;
      return result.status === 'completed' ? EXIT_OK : EXIT_FAILURE;
    } finally {
      release();
    }
  } finally {
    await kernel.close();
  }
}
