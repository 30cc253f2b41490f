/**
 * Rolling summarization. When the prompt fills more than `triggerRatio` of the window and at
 * least `minTurns` messages are not yet summarized, the oldest whole exchanges are condensed into
 * a summary until the estimate is at most `targetRatio` of the window. The model then sees the
 * system prompt, "Rolling session summary:\n…", and only the messages the summary does not cover;
 * the conversation itself (RunResult.messages, the store) is never shortened.
 *
 * What stays readable: the latest user message and everything after it, and at least the two
 * newest messages. Units come from the context window's own splitting, so an assistant's tool
 * calls are never condensed apart from their results, and what remains starts with a user message.
 *
 * The summary is `{ text, covered }`, `covered` counting leading conversation messages (system
 * messages not counted). It is saved with the store's epoch compare-and-set: when another writer
 * (a second run on the same session) saved first, its summary wins and this run uses it.
 */
import type { ModelInfo } from '@oxydra/provider/core';
import type { Message, StreamEvent, ToolSpec } from '@oxydra/types';
import {
  type ContextBudget,
  contextMessages,
  estimatePrompt,
  promptLimit,
  type Recalled,
  splitUnits,
} from './context-window.js';
import { type Deadline, formatDuration, withDeadline } from './deadline.js';
import { rollingSummaryProgress, type TurnPosition } from './dispatch.js';
import { abortReason } from './errors.js';
import { durably } from './persist.js';
import { mechanicalSummary, summaryMessage } from './summary-text.js';

/** The newest unsummarized messages always left as they are. */
export const KEEP_NEWEST = 2;

export interface StoredSummary {
  text: string;
  /** Leading conversation messages (system messages not counted) the summary replaces. */
  covered: number;
  /** Bumped by the store on every save; the compare-and-set's token. */
  epoch: number;
}

export interface SummaryStore {
  load(): Promise<StoredSummary | undefined>;
  /**
   * Saves only if the stored epoch is still `expectedEpoch` (null: only if nothing is stored yet);
   * false when another writer got there first.
   */
  save(summary: { text: string; covered: number }, expectedEpoch: number | null): Promise<boolean>;
}

/** Writes the summary text, typically a call to a cheaper model. */
export type SummarizeHook = (
  messages: Message[],
  previousSummary: string | undefined,
  signal: AbortSignal,
) => Promise<string>;

export interface SummarizationOptions {
  /** runtime.context_budget.trigger_ratio: summarize when the prompt exceeds this share of the window. */
  triggerRatio: number;
  /** runtime.summarization.target_ratio: condense until the prompt is at most this share. */
  targetRatio: number;
  /** runtime.summarization.min_turns: unsummarized messages needed before summarizing. */
  minTurns: number;
  /** Absent, failing or slow: the mechanical summary is used instead. */
  summarize?: SummarizeHook;
  /** Absent: the summary lives for this run only. */
  store?: SummaryStore;
}

export interface CondenseInput {
  /** The whole conversation (history and this run). */
  messages: readonly Message[];
  systemPrompt: string;
  recall: readonly Recalled[];
  tools: readonly ToolSpec[];
  model: ModelInfo;
  budget: ContextBudget;
  /** The model call this prepares, for the progress line. */
  position: TurnPosition;
}

export class RollingSummary {
  private covered = 0;
  private text: string | undefined;
  /** The summary's system message, kept as one object so its tokens are counted once. */
  private message: Message | undefined;
  /** Where view's covered head ends in the conversation it was last given, and its system messages. */
  private head:
    | { messages: readonly Message[]; covered: number; at: number; system: readonly Message[] }
    | undefined;
  /** The stored epoch this run last saw: the compare-and-set's expected value. */
  private epoch: number | null = null;

  constructor(
    private readonly options: SummarizationOptions,
    private readonly limits: Deadline,
    private readonly emit: (event: StreamEvent) => void,
  ) {}

  /** At the start of a run: the stored summary of a resumed session, if any. */
  async load(messages: readonly Message[]): Promise<void> {
    const { store } = this.options;
    if (store === undefined) return;
    const stored = await durably('could not load the rolling summary', () => store.load());
    if (stored !== undefined) this.adopt(stored, messages);
  }

  /** The system messages sent after the system prompt: the summary, when there is one. */
  preamble(): Message[] {
    return this.message ? [this.message] : [];
  }

  /** The conversation the model still sees: `messages` without the covered ones (system messages stay). */
  view(messages: readonly Message[]): Message[] {
    // The covered head is walked once per conversation and count (a run's conversation only
    // grows at the end), and the rest is one slice: not a filter over the whole session per call.
    let head = this.head;
    if (head?.messages !== messages || head.covered !== this.covered) {
      const system: Message[] = [];
      let skip = this.covered;
      let at = 0;
      for (; at < messages.length && skip > 0; at++) {
        const message = messages[at] as Message;
        if (message.role === 'system') system.push(message);
        else skip -= 1;
      }
      head = { messages, covered: this.covered, at, system };
      // A conversation shorter than the count would grow into the head: kept only when complete.
      this.head = skip === 0 ? head : undefined;
    }
    const rest = messages.slice(head.at);
    return head.system.length === 0 ? rest : [...head.system, ...rest];
  }

  /** Condenses the oldest messages when the prompt is over the trigger; otherwise does nothing. */
  async maybeCondense(input: CondenseInput): Promise<void> {
    const { triggerRatio, targetRatio, minTurns } = this.options;
    const view = this.view(input.messages);
    const unsummarized = view.filter((message) => message.role !== 'system');
    if (unsummarized.length < minTurns) return;
    const { window } = promptLimit(input.model, input.budget);
    const trigger = triggerRatio * window;
    const whole = contextMessages(input.systemPrompt, view, {
      preamble: this.preamble(),
      recall: input.recall,
    });
    // Over the trigger only when even the exact count is: the byte bound alone overestimates.
    const estimate = estimatePrompt(whole, input.tools, trigger);
    if (estimate.tokens <= trigger) return;

    const condensed = oldestUnits(unsummarized, estimate.tokens, targetRatio * window);
    if (condensed.length === 0) return;
    const { text, how } = await this.write(condensed);
    this.emit(
      rollingSummaryProgress(
        input.position,
        `Summarised ${condensed.length} earlier message${condensed.length === 1 ? '' : 's'} (${how})`,
      ),
    );
    await this.save({ text, covered: this.covered + condensed.length }, input);
  }

  /** The summary model's text, else the mechanical summary; `how` says which, for the progress line. */
  private async write(condensed: Message[]): Promise<{ text: string; how: string }> {
    const previous = this.text;
    const mechanical = () => mechanicalSummary(previous, condensed, this.covered + 1);
    const { summarize } = this.options;
    if (summarize === undefined) return { text: mechanical(), how: 'mechanical summary' };
    try {
      const text = await withDeadline(
        (signal) => summarize([...condensed], previous, signal),
        this.limits,
        () => new Error(`it did not answer within ${formatDuration(this.limits.timeoutMs)}`),
      );
      if (text.trim() === '') throw new Error('it returned an empty summary');
      return { text: text.trim(), how: 'summary model' };
    } catch (error) {
      // A cancel is the run's end, not a reason to fall back.
      if (this.limits.signal.aborted) throw abortReason(this.limits.signal);
      const reason = error instanceof Error ? error.message : String(error);
      return { text: mechanical(), how: `mechanical summary: the summary model failed: ${reason}` };
    }
  }

  private async save(next: { text: string; covered: number }, input: CondenseInput): Promise<void> {
    const { store } = this.options;
    if (store === undefined) {
      this.set(next.text, next.covered);
      return;
    }
    const expected = this.epoch;
    const won = await durably('could not save the rolling summary', () => store.save(next, expected));
    // The store assigns epochs, so the summary is read back: after a win for the new epoch, after
    // a loss for the winner's summary, which replaces this run's.
    const stored = await durably('could not load the rolling summary', () => store.load());
    if (stored !== undefined) this.adopt(stored, input.messages);
    else this.set(next.text, next.covered);
    if (!won) {
      this.emit(
        rollingSummaryProgress(
          input.position,
          `Another run saved the rolling summary first; using its summary (${this.covered} messages)`,
        ),
      );
    }
  }

  /**
   * Takes a stored summary. Its `covered` is bounded so the latest user message stays readable,
   * and moved past tool results at the boundary, so the view never starts with a result whose
   * call was summarized (a store written by an older version, a history cut differently).
   */
  private adopt(stored: StoredSummary, messages: readonly Message[]): void {
    // Positions count conversation messages (system ones skipped), read in place, not copied.
    let latestUser = -1;
    let position = 0;
    for (const message of messages) {
      if (message.role === 'system') continue;
      if (message.role === 'user') latestUser = position;
      position += 1;
    }
    let covered = Math.max(0, Math.min(Math.floor(stored.covered), Math.max(0, latestUser)));
    position = 0;
    for (const message of messages) {
      if (covered === 0) break;
      if (message.role === 'system') continue;
      if (position === covered) {
        if (message.role !== 'tool') break;
        covered += 1;
      }
      position += 1;
    }
    this.epoch = stored.epoch;
    this.set(stored.text, covered);
  }

  private set(text: string, covered: number): void {
    this.text = text;
    this.covered = covered;
    this.message = summaryMessage(text);
  }
}

/**
 * The oldest whole units of the unsummarized messages whose removal brings the estimate down to
 * `target` (all that may go, when that is not enough). The summary's own growth is not counted:
 * a mechanical summary is bounded (4000 characters) and replaces the previous one.
 */
function oldestUnits(unsummarized: readonly Message[], tokens: number, target: number): Message[] {
  const condensed: Message[] = [];
  const mayGo = unsummarized.length - KEEP_NEWEST;
  let remaining = tokens;
  for (const unit of splitUnits(unsummarized)) {
    if (remaining <= target || unit.pinned || condensed.length + unit.messages.length > mayGo) break;
    condensed.push(...unit.messages);
    remaining -= unit.tokens;
  }
  return condensed;
}
