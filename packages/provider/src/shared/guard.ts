/**
 * The envelope every adapter stream runs in:
 * - cancellation: an aborted signal ends the stream at once with `Cancelled`, even while the
 *   SDK is blocked on the network (the SDKs end silently or late on abort);
 * - errors: anything thrown becomes a classified ProviderError, with `partialOutput` set when
 *   text or tool-call output had already been yielded;
 * - cleanup: the request is aborted when the consumer stops early or anything fails.
 */
import { Cancelled, createAbortRacer, type ModelEvent, ProviderError } from '@oxydra/types';
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
  const onAbort = () => inner.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
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
    outer?.removeEventListener('abort', onAbort);
    racer?.dispose();
    if (!finished) {
      inner.abort();
      // Not awaited: a generator blocked on the network only returns once its read settles.
      iterator.return?.().catch(() => {});
    }
  }
}
