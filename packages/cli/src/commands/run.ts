/**
 * `oxydra run <prompt>`: one agent in the current directory as its workspace. Text streams to
 * stdout, tool activity and the closing usage line to stderr; --json prints every event as a
 * JSON line instead, the last being run_completed or run_failed. Exit 0 when the run
 * completes, 1 when it fails (provider error, budget, cancelled), 2 for usage/config mistakes.
 */
import { startAgentRun } from '@oxydra/runtime';
import type { StreamEvent } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { terminalApprover } from '../run/approval.js';
import { onInterrupt } from '../run/interrupt.js';
import { readPrompt } from '../run/prompt.js';
import { TextRenderer } from '../run/render-text.js';
import { prepareRun, type RunFlags } from '../run/setup.js';

export function colorFor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export async function runRun(promptWords: string[], flags: RunFlags): Promise<number> {
  const prompt = await readPrompt(promptWords);
  const setup = await prepareRun(flags, { workspace: process.cwd() });
  const approve = flags.json ? undefined : terminalApprover();
  const run = startAgentRun({ ...setup.base, prompt, ...(approve ? { approve } : {}) });
  const release = onInterrupt(() => run.cancel('interrupted by the user (Ctrl+C)'));
  try {
    const render = flags.json
      ? (event: StreamEvent) => process.stdout.write(`${JSON.stringify(event)}\n`)
      : (() => {
          const renderer = new TextRenderer({
            stdout: process.stdout,
            stderr: process.stderr,
            color: colorFor(process.stderr),
          });
          return (event: StreamEvent) => renderer.handle(event);
        })();
    for await (const event of run.events) render(event);
    const result = await run.result;
    return result.status === 'completed' ? EXIT_OK : EXIT_FAILURE;
  } finally {
    release();
  }
}
