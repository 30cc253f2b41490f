/** Drives a stream translator (SDK events in, StreamEvents out) over an SDK stream. */
import type { ModelEvent } from '@oxydra/types';

export interface StreamTranslator<T> {
  /** The events one wire event completes. */
  handle(event: T): ModelEvent[];
  /** The closing events (pending tool calls, usage, finish); throws if the stream was cut. */
  end(): ModelEvent[];
}

export async function* translate<T>(
  source: AsyncIterable<T>,
  translator: StreamTranslator<T>,
): AsyncGenerator<ModelEvent> {
  for await (const event of source) yield* translator.handle(event);
  yield* translator.end();
}
