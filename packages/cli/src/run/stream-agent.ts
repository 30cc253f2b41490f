/**
 * Printing one spawned agent's events as `oxydra run` does: text on stdout and activity on
 * stderr, or one JSON line per event with --json; approval questions answered on the terminal
 * when one is there. Shared by a plain run and each attempt of a spec run. The text renderer and
 * the approval prompt are imported only by a run that uses them (a --json run needs neither).
 */
import type { AgentHandle, Kernel, KernelEvent } from '@oxydra/kernel';
import { jsonLine } from './render-agents.js';

export async function streamAgent(
  kernel: Kernel,
  agent: AgentHandle,
  options: { json: boolean; askApprovals: boolean },
): Promise<void> {
  const cancel = (reason: string) => void agent.cancel(reason);
  const answer = options.askApprovals ? await terminalAnswerer(kernel, cancel) : undefined;
  const write = options.json ? jsonWriter(agent.id) : await textWriter(agent.id);
  for await (const envelope of agent.events) {
    answer?.handle(envelope);
    // Heartbeats would be written into the question line the user is typing on.
    if (answer?.asking && envelope.event.type === 'progress') continue;
    write(envelope);
  }
}

async function terminalAnswerer(kernel: Kernel, cancel: (reason: string) => void) {
  const [{ askOnce }, { approvalAnswerer }] = await Promise.all([
    import('./approval.js'),
    import('./approval-answers.js'),
  ]);
  return approvalAnswerer(kernel, askOnce, cancel);
}

function jsonWriter(rootId: string): (envelope: KernelEvent) => void {
  return (envelope) => {
    const line = jsonLine(envelope, rootId);
    if (line !== undefined) process.stdout.write(`${line}\n`);
  };
}

async function textWriter(rootId: string): Promise<(envelope: KernelEvent) => void> {
  const [{ TextRenderer }, { colorFor }, { renderEvent }] = await Promise.all([
    import('./render-text.js'),
    import('./color.js'),
    import('./render-agents.js'),
  ]);
  const renderer = new TextRenderer({
    stdout: process.stdout,
    stderr: process.stderr,
    color: colorFor(process.stderr),
  });
  const names = new Map<string, string>();
  return (envelope) => renderEvent(renderer, envelope, rootId, names);
}
