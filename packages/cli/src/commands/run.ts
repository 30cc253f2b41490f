/**
 * `oxydra run <prompt>`: one agent in the current directory as its workspace. Text streams to
 * stdout, tool activity and the closing usage line to stderr; --json prints every event as a
 * JSON line instead, the last being run_completed or run_failed. Exit 0 when the run
 * completes, 1 when it fails (provider error, budget, cancelled), 2 for usage/config mistakes.
 */
import { type AgentRun, startAgentRun } from '@oxydra/runtime';
import type { StreamEvent } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { approverFor, askOnce, canAskApproval } from '../run/approval.js';
import { onInterrupt } from '../run/interrupt.js';
import { readPrompt } from '../run/prompt.js';
import { TextRenderer } from '../run/render-text.js';
import { prepareRun, type RunFlags } from '../run/setup.js';
import { agentWorkspace } from '../run/workspace.js';

export function colorFor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export async function runRun(promptWords: string[], flags: RunFlags): Promise<number> {
  const prompt = await readPrompt(promptWords);
  const setup = await prepareRun(flags, { workspace: agentWorkspace() });
  // On a terminal, say how commands are isolated (pipes and --json get only the warnings).
  if (!flags.json && process.stderr.isTTY) process.stderr.write(`sandbox: ${setup.sandbox}\n`);
  try {
    const session = await setup.openSession(flags.session);
    let run: AgentRun | undefined;
    const approve =
      !flags.json && canAskApproval() ? approverFor(askOnce, (reason) => run?.cancel(reason)) : undefined;
    run = startAgentRun({
      ...setup.base,
      ...session?.options,
      prompt,
      history: session?.history ?? [],
      ...(approve ? { approve } : {}),
    });
    const release = onInterrupt(() => run?.cancel('interrupted by the user (Ctrl+C)'));
    try {
      const renderer = new TextRenderer({
        stdout: process.stdout,
        stderr: process.stderr,
        color: colorFor(process.stderr),
        ...(session ? { sessionId: session.id } : {}),
      });
      for await (const event of run.events) {
        if (!flags.json) renderer.handle(event);
        else process.stdout.write(`${JSON.stringify(withSession(event, session?.id))}\n`);
      }
      const result = await run.result;
      return result.status === 'completed' ? EXIT_OK : EXIT_FAILURE;
    } finally {
      release();
    }
  } finally {
    await setup.close();
  }
}

/** The outcome line names the session, so a script can continue it with --session. */
function withSession(event: StreamEvent, sessionId: string | undefined): StreamEvent {
  if (sessionId === undefined || (event.type !== 'run_completed' && event.type !== 'run_failed'))
    return event;
  return { ...event, session_id: sessionId };
}
