/**
 * A provider's stream of ModelEvents: the guard every adapter stream runs in, the wrapper the
 * provider wrappers see it through, and the response assembled from it.
 *
 * The envelope every adapter stream runs in:
 * - cancellation: an aborted signal ends the stream at once with `Cancelled`, even while the
 *   SDK is blocked on the network (the SDKs end silently or late on abort);
 * - errors: anything thrown becomes a classified ProviderError, with `partialOutput` set when
 *   text or tool-call output had already been yielded;
 * - cleanup: the request is aborted when the consumer stops early or anything fails.
 */

import {
  type AssistantMessage,
  Cancelled,
  createAbortRacer,
  type FinishReason,
  flatString,
  type ModelEvent,
  onAbort,
  ProviderError,
  type ProviderResponse,
  type ReasoningBlock,
  type ToolCall,
  type Usage,
} from '@oxydra/types';
import {
  type ErrorFacts,
  type ErrorScope,
  genericErrorFacts,
  providerErrorFromFacts,
  withPartialOutput,
} from './errors.js';

/** Reduces an SDK's typed error to facts; undefined for errors it does not know. */
export type ErrorDescriber = (error: unknown) => ErrorFacts | undefined;

export interface GuardOptions extends ErrorScope {
  signal?: AbortSignal | undefined;
  describe: ErrorDescriber;
}

/** Output a retry would repeat to the user or the runtime. */
const PARTIAL_OUTPUT_EVENTS = new Set<ModelEvent['type']>([
  'text_delta',
  'tool_call_start',
  'tool_call_delta',
  'tool_call_end',
]);

export function toProviderError(error: unknown, options: GuardOptions): ProviderError {
  if (error instanceof ProviderError) return withPartialOutput(error, options.partialOutput ?? false);
  const facts = options.describe(error) ?? genericErrorFacts(error);
  return providerErrorFromFacts(facts, options, error);
}

function cancelledBy(signal: AbortSignal, cause?: unknown): Cancelled {
  const reason: unknown = signal.reason;
  const message = reason instanceof Error && reason.message ? reason.message : 'cancelled';
  return new Cancelled(message, { cause: cause ?? reason });
}

export async function* guardStream(
  options: GuardOptions,
  source: (signal: AbortSignal) => AsyncIterable<ModelEvent>,
): AsyncGenerator<ModelEvent, void, undefined> {
  const outer = options.signal;
  if (outer?.aborted) throw cancelledBy(outer);

  // Our own controller: aborted by the caller's signal, and by us when we stop early.
  const inner = new AbortController();
  // Through onAbort: it and the racer below share the signal's one real listener.
  const stopListening = outer ? onAbort(outer, () => inner.abort(outer.reason)) : undefined;
  // Each read also ends at once when the caller aborts, even if the SDK is slow to notice.
  const racer = outer ? createAbortRacer(outer, () => cancelledBy(outer)) : undefined;

  const iterator = source(inner.signal)[Symbol.asyncIterator]();
  let partial = false;
  let finished = false;
  try {
    while (true) {
      const read = iterator.next();
      const result = racer ? await racer.race(read) : await read;
      if (result.done) break;
      if (PARTIAL_OUTPUT_EVENTS.has(result.value.type)) partial = true;
      yield result.value;
    }
    finished = true;
    // The SDKs end a stream quietly when its request is aborted.
    if (outer?.aborted) throw cancelledBy(outer);
  } catch (error) {
    if (error instanceof Cancelled) throw error;
    if (outer?.aborted) throw cancelledBy(outer, error);
    throw toProviderError(error, { ...options, partialOutput: partial });
  } finally {
    stopListening?.();
    racer?.dispose();
    if (!finished) {
      inner.abort();
      // Not awaited: a generator blocked on the network only returns once its read settles.
      iterator.return?.().catch(() => {});
    }
  }
}

/**
 * A provider's stream seen through a wrapper that adds no layer of its own per event.
 *
 * The provider wrappers (the lazily loaded adapter, the model's input check, the auth context on
 * errors, the usage cost) were each an async generator re-yielding every event: per event and
 * per wrapper a promise, an iterator result and a few microtask hops, on replies of hundreds of
 * events. This iterator opens its source on the first next(), as a generator body would start,
 * hands the source's steps through untouched unless `map` or `mapError` is given (then one
 * `then` per step), and forwards return() and throw(), so a consumer that stops early still
 * ends the request under it.
 */

export interface StreamWrap {
  /** Opens the source; called on the first next(). Throwing (or rejecting) fails that next(). */
  open(): AsyncIterable<ModelEvent> | Promise<AsyncIterable<ModelEvent>>;
  /** Each event on its way out; return the event itself to pass it unchanged. */
  map?(event: ModelEvent): ModelEvent;
  /** Each failure on its way out (of open and of the source): what to throw instead. */
  mapError?(error: unknown): unknown;
}

type Step = IteratorResult<ModelEvent, undefined>;

const DONE: Step = Object.freeze({ done: true, value: undefined });

class WrappedStream implements AsyncIterableIterator<ModelEvent> {
  #source: AsyncIterator<ModelEvent> | undefined;
  #opening: Promise<AsyncIterator<ModelEvent>> | undefined;
  #closed = false;
  readonly #wrap: StreamWrap;
  #onStep: ((step: Step) => Step) | undefined;
  #onError: ((error: unknown) => never) | undefined;

  constructor(wrap: StreamWrap) {
    this.#wrap = wrap;
    const { map, mapError } = wrap;
    this.#onStep = map
      ? (step) => {
          if (step.done) return step;
          const value = map(step.value);
          return value === step.value ? step : { done: false, value };
        }
      : undefined;
    this.#onError = mapError
      ? (error) => {
          throw mapError(error);
        }
      : undefined;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Step> {
    const source = this.#source;
    if (source) return this.#step(source.next() as Promise<Step>);
    if (this.#closed) return Promise.resolve(DONE);
    this.#opening ??= this.#open();
    return this.#opening.then((opened) => (this.#closed ? DONE : this.#step(opened.next() as Promise<Step>)));
  }

  return(value?: unknown): Promise<Step> {
    this.#closed = true;
    const source = this.#source;
    if (source?.return) return source.return(value) as Promise<Step>;
    // Opening still under way: close the source once it is there.
    this.#opening?.then(
      (opened) => opened.return?.(),
      () => {},
    );
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<Step> {
    const source = this.#source;
    if (source?.throw) return this.#step(source.throw(error) as Promise<Step>);
    return this.return().then(() => Promise.reject(error));
  }

  /**
   * Opened on a wrapper of the same kind that nobody has read (the provider layers stacked: the
   * usage cost over the auth context): its source is read here directly, through one `then` with
   * both layers' handlers composed, the inner's first, as its own `then` would have applied them
   * (a step its map throws on goes to this one's mapError). One promise per event less per
   * layer. Its opening failures come out through its own mapError, then this one's (#open, which
   * opens it before adopting it).
   */
  #adopt(inner: WrappedStream): void {
    const innerStep = inner.#onStep;
    const innerError = inner.#onError;
    const outerStep = this.#onStep;
    const outerError = this.#onError;
    if (innerError)
      this.#onError = outerError
        ? (error) => {
            let mapped: unknown;
            try {
              innerError(error);
            } catch (thrown) {
              mapped = thrown;
            }
            return outerError(mapped);
          }
        : innerError;
    if (innerStep)
      this.#onStep = (step) => {
        let inner: Step;
        try {
          inner = innerStep(step);
        } catch (error) {
          if (outerError) return outerError(error);
          throw error;
        }
        return outerStep ? outerStep(inner) : inner;
      };
  }

  /** Nobody has read it, opened it or closed it: #adopt may take its source. */
  #unread(): boolean {
    return !this.#source && !this.#opening && !this.#closed;
  }

  #step(step: Promise<Step>): Promise<Step> {
    if (!this.#onStep && !this.#onError) return step;
    return step.then(this.#onStep, this.#onError);
  }

  async #open(): Promise<AsyncIterator<ModelEvent>> {
    try {
      const iterable = await this.#wrap.open();
      let source: AsyncIterator<ModelEvent>;
      if (iterable instanceof WrappedStream && iterable.#unread()) {
        source = await iterable.#open();
        this.#adopt(iterable);
      } else source = iterable[Symbol.asyncIterator]();
      this.#source = source;
      return source;
    } catch (error) {
      this.#closed = true;
      throw this.#wrap.mapError ? this.#wrap.mapError(error) : error;
    }
  }
}

export function wrapStream(wrap: StreamWrap): AsyncIterable<ModelEvent> {
  return new WrappedStream(wrap);
}

/**
 * Assemble a model's answer from its normalised stream: the AssistantMessage to store and
 * replay (text, tool calls, reasoning blocks with their signatures), the finish reason and
 * usage. Works on the events of any adapter.
 */

export class ResponseAssembler {
  private text = '';
  private readonly toolCalls: ToolCall[] = [];
  private readonly reasoning: ReasoningBlock[] = [];
  /** The block reasoning deltas currently extend; closed by a signature/id or by other output. */
  private openBlock: ReasoningBlock | undefined;
  private finishReason: FinishReason | undefined;
  private rawFinishReason: string | null | undefined;
  private finishDetails: Record<string, unknown> | undefined;
  private usage: Usage = {};

  add(event: ModelEvent): void {
    switch (event.type) {
      case 'text_delta':
        this.openBlock = undefined;
        this.text += event.text;
        break;
      case 'reasoning_delta':
        this.addReasoning(event);
        break;
      case 'tool_call_start':
        this.openBlock = undefined;
        break;
      case 'tool_call_end':
        this.toolCalls.push(toToolCall(event));
        break;
      case 'usage':
        // Adapters send the final usage; a later report replaces an earlier one.
        this.usage = event.usage;
        break;
      case 'finish':
        this.finishReason = event.reason;
        this.rawFinishReason = event.rawReason;
        this.finishDetails = event.details;
        break;
      default:
        break;
    }
  }

  /** The assistant message as far as the stream got. */
  message(): AssistantMessage {
    const message: AssistantMessage = { role: 'assistant', content: flatString(this.text) };
    if (this.toolCalls.length > 0) message.toolCalls = [...this.toolCalls];
    if (this.reasoning.length > 0)
      message.reasoning = this.reasoning.map((block) => ({ ...block, text: flatString(block.text) }));
    return message;
  }

  response(): ProviderResponse {
    const message = this.message();
    const response: ProviderResponse = {
      message,
      toolCalls: message.toolCalls ?? [],
      // A stream without a finish event was cut; adapters throw before that, so this is a fallback.
      finishReason: this.finishReason ?? 'other',
      usage: this.usage,
    };
    if (this.rawFinishReason !== undefined) response.rawFinishReason = this.rawFinishReason;
    if (this.finishDetails !== undefined) response.finishDetails = this.finishDetails;
    return response;
  }

  private addReasoning(event: Extract<ModelEvent, { type: 'reasoning_delta' }>): void {
    let block = this.openBlock;
    if (block === undefined) {
      block = { text: '' };
      this.reasoning.push(block);
      this.openBlock = block;
    }
    block.text += event.text;
    if (event.signature !== undefined) block.signature = event.signature;
    if (event.encrypted !== undefined) block.encrypted = event.encrypted;
    if (event.id !== undefined) block.id = event.id;
    // Providers sign or identify a block once it is complete: what follows is a new block.
    if (event.signature !== undefined || event.encrypted !== undefined || event.id !== undefined) {
      this.openBlock = undefined;
    }
  }
}

function toToolCall(event: Extract<ModelEvent, { type: 'tool_call_end' }>): ToolCall {
  const call: ToolCall = {
    id: event.id,
    name: event.name,
    arguments: event.arguments,
    rawArguments: event.rawArguments,
  };
  if (event.metadata !== undefined) call.metadata = event.metadata;
  return call;
}

export async function collectResponse(events: AsyncIterable<ModelEvent>): Promise<ProviderResponse> {
  const assembler = new ResponseAssembler();
  for await (const event of events) assembler.add(event);
  return assembler.response();
}
