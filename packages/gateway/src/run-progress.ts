/**
 * What a remote caller is told while an agent works (MCP run_agent progress notifications, A2A
 * working-status updates), one line per event worth telling:
 * each model call, each tool call's start and end (a sub-agent's prefixed with its name), the
 * runtime's own heartbeats for long tools and retries, a tool's own reports (a remote agent's progress), and the answer's text as it grows (the
 * first words, then every TEXT_STEP characters: counted, not timed, so it is the same on every run).
 */
import type { KernelEvent } from '@oxydra/kernel';

/** A text progress line each time the answer grew by this many characters. */
const TEXT_STEP = 400;
const SNIPPET_CHARS = 80;
/** The runtime's progress lines worth passing on: the rest repeat what tool events already say. */
const REPORTED = new Set(['tool_heartbeat', 'tool_report', 'retry']);

export class RunProgress {
  readonly #rootId: string;
  readonly #names = new Map<string, string>();
  #written = 0;
  #reported = 0;

  constructor(rootAgentId: string) {
    this.#rootId = rootAgentId;
  }

  /** The line this event is worth, or undefined. */
  line(envelope: KernelEvent): string | undefined {
    const event = envelope.event;
    const root = envelope.agentId === this.#rootId;
    const who = root ? '' : `${this.#names.get(envelope.agentId) ?? 'sub-agent'}: `;
    switch (event.type) {
      case 'agent_spawned':
        this.#names.set(event.agentId, event.name);
        return event.agentId === this.#rootId ? undefined : `sub-agent ${event.name} started`;
      case 'agent_exited':
        return root ? undefined : `sub-agent ${this.#names.get(event.agentId) ?? ''} ${event.status}`;
      case 'turn_start':
        if (root) {
          this.#written = 0;
          this.#reported = 0;
        }
        return `${who}model call ${event.turn} of at most ${event.maxTurns}`;
      case 'tool_execution_start':
        return `${who}running ${event.name}`;
      case 'tool_execution_end':
        return `${who}${event.name} ${event.isError ? 'failed' : 'done'} (${Math.round(event.durationMs)} ms)`;
      case 'progress':
        return REPORTED.has(event.progress.kind) ? `${who}${event.progress.message}` : undefined;
      case 'text_delta':
        return root ? this.#text(event.text) : undefined;
      default:
        return undefined;
    }
  }

  #text(delta: string): string | undefined {
    const first = this.#written === 0;
    this.#written += delta.length;
    if (first) return `writing: ${oneLine(delta).slice(0, SNIPPET_CHARS)}`;
    if (this.#written - this.#reported < TEXT_STEP) return undefined;
    this.#reported = this.#written - (this.#written % TEXT_STEP);
    return `writing: ${this.#reported} characters so far`;
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
