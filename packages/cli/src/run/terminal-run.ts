/**
 * Printing a kernel agent's event stream: the agent a command spawned renders as before (text on
 * stdout, activity on stderr; or one JSON line per event), and its sub-agents show as progress:
 * a line when one starts and ends and one per tool it runs. In --json, every sub-agent event is
 * a line too, carrying `agentId` and `parentAgentId`; the command's own agent's lines are
 * unchanged (they carry no agentId).
 */
import type { KernelEvent } from '@oxydra/kernel';
import { isLifecycleEvent } from '@oxydra/kernel/open';
import { describeCall, EVENT_CONTRACT_VERSION } from '@oxydra/types';
import type { TextRenderer } from './render-text.js';

/**
 * The JSON line of an event, or undefined for none. Every line carries the event contract's
 * version as `v` (the schemas in @oxydra/types/events), so a script reading any line knows it.
 */
export function jsonLine(envelope: KernelEvent, rootId: string): string | undefined {
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
