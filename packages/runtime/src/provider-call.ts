/**
 * One model call: stream the provider, forward its events as they arrive, assemble the answer,
 * and enforce the per-call timeout. The wait on each event races the abort signal, so a provider
 * that ignores its signal cannot hold the run past a timeout or a cancel.
 */
import type { ResponseAssembler } from '@oxydra/provider/core';
import {
  type Context,
  flatString,
  type ModelEvent,
  type Provider,
  type ProviderResponse,
  type StreamEvent,
  type Usage,
} from '@oxydra/types';
import { type Clock, deadlineController, formatDuration, type RunAbort } from './deadline.js';
import { abortReason, RunError } from './errors.js';

export interface ModelCallOptions {
  provider: Provider;
  context: Context;
  /** The run's abort (cancel and wall time), or a signal. */
  signal: AbortSignal | RunAbort;
  timeoutMs: number;
  clock: Clock;
  emit: (event: StreamEvent) => void;
  /** Fills in costUsd on usage events the provider left unpriced. */
  price: (usage: Usage) => Usage;
  /** Receives the stream's events; the caller keeps it to read a partial answer after a failure. */
  assembler: ResponseAssembler;
}

export interface ModelAnswer {
  response: ProviderResponse;
  /**
   * Argument-parse errors by tool call id, from tool_call_end events (the assembled ToolCall does
   * not carry them): the tool executor hands them back to the model instead of running the call.
   */
  parseErrors: ReadonlyMap<string, string>;
}

/** A call without argument-parse errors (nearly every call) makes no Map of its own. */
const NO_PARSE_ERRORS: ReadonlyMap<string, string> = new Map();

export async function callModel(options: ModelCallOptions): Promise<ModelAnswer> {
  const { provider, context, clock, emit, assembler } = options;
  const deadline = deadlineController(
    options.signal,
    options.timeoutMs,
    clock,
    () =>
      new RunError(
        'provider_error',
        `${provider.name} (${context.model}) did not finish within ${formatDuration(options.timeoutMs)} ` +
          `(runtime.turn_timeout_secs); the call was aborted`,
        'timeout',
      ),
  );
  let iterator: AsyncIterator<ModelEvent> | undefined;
  let finished = false;
  let parseErrors: Map<string, string> | undefined;
  try {
    iterator = provider.stream(context, { signal: deadline.signal })[Symbol.asyncIterator]();
    while (true) {
      const next = await deadline.race(iterator.next());
      if (next.done) break;
      const event = next.value.type === 'usage' ? priced(next.value, options.price) : next.value;
      assembler.add(event);
      emit(event);
      if (event.type === 'tool_call_end' && event.parseError !== undefined) {
        parseErrors ??= new Map();
        parseErrors.set(event.id, event.parseError);
      }
      if (event.type === 'error') {
        throw new RunError('provider_error', event.message, event.kind);
      }
    }
    finished = true;
    return { response: assembler.response(), parseErrors: parseErrors ?? NO_PARSE_ERRORS };
  } catch (error) {
    // Whatever the provider threw on abort (Cancelled, a cut stream), the abort's reason is the
    // truth: the run was cancelled, ran out of wall time, or this call timed out.
    if (deadline.signal.aborted) throw abortReason(deadline.signal);
    throw error;
  } finally {
    deadline.dispose();
    // Not awaited: a generator blocked on the network only returns once its read settles.
    if (!finished) iterator?.return?.().catch(() => {});
  }
}

/**
 * A usage event with its cost filled in: copied only when pricing changed the usage (the
 * provider's cost layer has usually priced it already, and its event is a copy of its own).
 */
function priced(event: Extract<ModelEvent, { type: 'usage' }>, price: (usage: Usage) => Usage): ModelEvent {
  const usage = price(event.usage);
  return usage === event.usage ? event : { ...event, usage };
}

/**
 * The answer of a run is the text of every model call in it, in order, with a paragraph break
 * between calls that said something: "Let me look." then "Hello" is "Let me look.\n\nHello".
 * The break is also streamed, as a text_delta of its own before the later call's first text, so
 * whoever joins the streamed text (SSE, WebSocket deltas, `oxydra run > answer.md`) gets exactly
 * the final answer. Keeping only the last call would make the stream disagree with the answer
 * unless every call's text were held back until it is known to be the last.
 */
export const CALL_SEPARATOR = '\n\n';

export class AnswerText {
  #text = '';
  #callHasText = false;

  /** A new model call begins: its first text, if any, is set apart from what came before. */
  startCall(): void {
    this.#callHasText = false;
  }

  /** Wraps `emit` so text deltas are recorded and separated; other events pass unchanged. */
  wrap(emit: (event: StreamEvent) => void): (event: StreamEvent) => void {
    return (event) => {
      if (event.type === 'text_delta' && event.text !== '') {
        if (!this.#callHasText && this.#text !== '') {
          this.#text += CALL_SEPARATOR;
          emit({ type: 'text_delta', text: CALL_SEPARATOR });
        }
        this.#callHasText = true;
        this.#text += event.text;
      }
      emit(event);
    };
  }

  /** Everything streamed so far: the final answer once the run has ended. */
  get text(): string {
    this.#text = flatString(this.#text);
    return this.#text;
  }
}
