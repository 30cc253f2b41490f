/**
 * Printing one spawned agent's events as `oxydra run` does: text on stdout and activity on
 * stderr, or one JSON line per event with --json; approval questions answered on the terminal
 * when one is there. Shared by a plain run and each attempt of a spec run.
 */
import type { AgentHandle, Kernel } from '@oxydra/kernel';
import { askOnce } from './approval.js';
import { approvalAnswerer } from './approval-answers.js';
import { colorFor } from './color.js';
import { jsonLine, renderEvent } from './render-agents.js';
import { TextRenderer } from './render-text.js';

export async function streamAgent(
  kernel: Kernel,
  agent: AgentHandle,
  options: { json: boolean; askApprovals: boolean },
): Promise<void> {
  const cancel = (reason: string) => void agent.cancel(reason);
  const answer = options.askApprovals ? approvalAnswerer(kernel, askOnce, cancel) : undefined;
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
    if (!options.json) renderEvent(renderer, envelope, agent.id, names);
    else {
      const line = jsonLine(envelope, agent.id);
      if (line !== undefined) process.stdout.write(`${line}\n`);
    }
  }
}
