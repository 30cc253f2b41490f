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
import type { ModelEvent } from '@oxydra/types';

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
  readonly #onStep: ((step: Step) => Step) | undefined;
  readonly #onError: ((error: unknown) => never) | undefined;

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

  #step(step: Promise<Step>): Promise<Step> {
    if (!this.#onStep && !this.#onError) return step;
    return step.then(this.#onStep, this.#onError);
  }

  async #open(): Promise<AsyncIterator<ModelEvent>> {
    try {
      const iterable = await this.#wrap.open();
      const source = iterable[Symbol.asyncIterator]();
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
