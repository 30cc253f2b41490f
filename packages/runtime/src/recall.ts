/**
 * Memory recall. Before a model call whose latest user message is new, the caller's `recall` hook
 * is asked for snippets about that message; they reach the model as one transient system message
 * (never persisted, never in RunResult.messages). One query per user message: the later steps of
 * the same task reuse the answer, so a tool-heavy task does not search memory on every call.
 *
 * A failing or slow recall is reported (an `error` event, code memory_recall_failed) and the run
 * goes on without memory: recall improves an answer, no answer depends on it.
 */
import { type Message, messageText, type StreamEvent } from '@oxydra/types';
import { type Deadline, withDeadline } from './abortable.js';
import { formatDuration } from './clock.js';
import { abortReason } from './errors.js';

export const RECALL_HEADER = 'Relevant context from memory:';
export const RECALL_FAILED = 'memory_recall_failed';

export type RecallHook = (query: string, signal: AbortSignal) => Promise<string[]>;

export function recallMessage(snippets: readonly string[]): Message {
  return { role: 'system', content: `${RECALL_HEADER}\n${snippets.map((s) => `- ${s}`).join('\n')}` };
}

export class MemoryRecall {
  /** The user message the cached snippets were recalled for. */
  private askedFor: Message | undefined;
  /** Its recall, kept as the call in flight: a second ask while it runs waits for the same answer. */
  private snippets: Promise<string[]> = Promise.resolve([]);

  constructor(
    private readonly hook: RecallHook,
    private readonly limits: Deadline,
    private readonly emit: (event: StreamEvent) => void,
  ) {}

  /** The snippets for the latest user message in `messages`, recalled on its first call only. */
  snippetsFor(messages: readonly Message[]): Promise<string[]> {
    const latest = messages.findLast((m) => m.role === 'user');
    if (latest === undefined) return Promise.resolve([]);
    if (latest === this.askedFor) return this.snippets;
    // Cached before the call, failures included: a broken store is reported once per message,
    // not once per model call.
    this.askedFor = latest;
    this.snippets = this.ask(messageText(latest).trim());
    return this.snippets;
  }

  private async ask(query: string): Promise<string[]> {
    if (query === '') return [];
    try {
      const found = await withDeadline(
        (signal) => this.hook(query, signal),
        this.limits,
        () => new Error(`it did not answer within ${formatDuration(this.limits.timeoutMs)}`),
      );
      return found.map((s) => s.trim()).filter((s) => s !== '');
    } catch (error) {
      if (this.limits.signal.aborted) throw abortReason(this.limits.signal);
      const reason = error instanceof Error ? error.message : String(error);
      this.emit({
        type: 'error',
        code: RECALL_FAILED,
        message: `memory recall failed, going on without it: ${reason}`,
        retriable: true,
      });
      return [];
    }
  }
}
