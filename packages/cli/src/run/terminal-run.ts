// A run on the terminal, as `oxydra run` (plain or spec-first) and `oxydra chat` have it: the
// prompt read, Ctrl+C, and the agents' events printed.
import type { AgentHandle, Kernel, KernelEvent } from '@oxydra/kernel';
import { isLifecycleEvent } from '@oxydra/kernel/open';
import { describeCall, EVENT_CONTRACT_VERSION, UsageError } from '@oxydra/types';
import { EXIT_INTERRUPTED } from '../exit-codes.js';
import { markIfInterrupt } from './interrupted.js';
import type { TextRenderer } from './render-text.js';

/** The prompt from the command line, or from stdin when it is "-" (e.g. `cat task.md | oxydra run -`). */
export async function readPrompt(words: readonly string[]): Promise<string> {
  const joined = words.join(' ').trim();
  if (joined === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text === '') throw new UsageError('the prompt read from stdin is empty');
    return text;
  }
  if (joined === '') {
    throw new UsageError('missing prompt: oxydra run "what to do"', {
      hint: 'pass the task as arguments, or "-" to read it from stdin; try `oxydra demo` to see a run with no API key',
    });
  }
  return joined;
}

/**
 * Ctrl+C during a run: the first press cancels it (the stream stops, running tools and their
 * process groups are killed, the run ends as cancelled, the session saved) and the command then
 * exits 130; a second press exits at once, with 130 too. SIGTERM cancels the same way (exit 1).
 */
export function onInterrupt(cancel: () => void, stderr: NodeJS.WritableStream = process.stderr): () => void {
  let pressed = false;
  const handler = (signal: NodeJS.Signals) => {
    markIfInterrupt(signal);
    if (pressed) process.exit(EXIT_INTERRUPTED);
    pressed = true;
    stderr.write('\ncancelling... (press Ctrl+C again to quit at once)\n');
    cancel();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Printing one spawned agent's events as `oxydra run` does: text on stdout and activity on
 * stderr, or one JSON line per event with --json; approval questions answered on the terminal
 * when one is there. Shared by a plain run and each attempt of a spec run. The text renderer and
 * the approval prompt are imported only by a run that uses them (a --json run needs neither).
 */
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
  const [{ TextRenderer }, { colorFor }] = await Promise.all([
    import('./render-text.js'),
    import('./color.js'),
  ]);
  const renderer = new TextRenderer({
    stdout: process.stdout,
    stderr: process.stderr,
    color: colorFor(process.stderr),
  });
  const names = new Map<string, string>();
  return (envelope) => renderEvent(renderer, envelope, rootId, names);
}

// Printing a kernel agent's event stream: the agent a command spawned renders as before (text on
// stdout, activity on stderr; or one JSON line per event), and its sub-agents show as progress:
// a line when one starts and ends and one per tool it runs. In --json, every sub-agent event is
// a line too, carrying `agentId` and `parentAgentId`; the command's own agent's lines are
// unchanged (they carry no agentId).

/**
 * The JSON line of an event, or undefined for none. Every line carries the event contract's
 * version as `v` (the schemas in @oxydra/types/events), so a script reading any line knows it.
 */
function jsonLine(envelope: KernelEvent, rootId: string): string | undefined {
  const { event } = envelope;
  if (envelope.agentId === rootId) {
    if (event.type === 'agent_spawned' || event.type === 'agent_exited') return undefined;
    return JSON.stringify({ v: EVENT_CONTRACT_VERSION, ...event });
  }
  return JSON.stringify({
    v: EVENT_CONTRACT_VERSION,
    ...event,
    agentId: envelope.agentId,
    ...(envelope.parentAgentId !== undefined ? { parentAgentId: envelope.parentAgentId } : {}),
  });
}

/** Text rendering: the root agent through the renderer, sub-agents as indented progress lines. */
export function renderEvent(
  renderer: TextRenderer,
  envelope: KernelEvent,
  rootId: string,
  names: Map<string, string>,
): void {
  const { event } = envelope;
  if (envelope.agentId === rootId) {
    if (!isLifecycleEvent(event)) renderer.handle(event);
    return;
  }
  const who = names.get(envelope.agentId) ?? envelope.agentId;
  switch (event.type) {
    case 'agent_spawned':
      names.set(event.agentId, event.name);
      renderer.note(`   [${event.name}] started: ${oneLine(event.task)}`);
      return;
    case 'agent_exited':
      renderer.note(
        `   [${who}] ${event.status}${event.reason && event.status !== 'completed' ? `: ${event.reason}` : ''}`,
      );
      return;
    case 'tool_execution_start':
      renderer.note(`   [${who}] -> ${describeCall(event.name, event.arguments)}`);
      return;
    case 'tool_execution_end':
      if (event.isError) renderer.note(`   [${who}] ${event.name} failed`);
      return;
    case 'run_failed':
      renderer.note(`   [${who}] failed: ${event.error?.message ?? 'unknown error'}`);
      return;
    default:
      return;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
