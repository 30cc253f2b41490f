/**
 * Fault injection that is the same for every API: retry headers, and disturbing an event list
 * (in-stream error, malformed event). The timing faults (slow, cut) are applied by the writer.
 */
import type { InStreamError, StreamFault } from './scenario.js';
import type { SseEvent, WriteOptions } from './sse.js';
import type { CallContext, ErrorSpec, WireApi } from './wire/types.js';

export function streamErrorSpec(error: InStreamError, wire: WireApi): ErrorSpec {
  const { afterEvents: _after, ...rest } = error;
  return { ...rest, status: error.status ?? wire.streamErrorStatus };
}

/** `retry-after` in seconds and `retry-after-ms`, exactly as the scenario asked. */
export function retryHeaders(spec: ErrorSpec): Record<string, string> {
  const headers: Record<string, string> = {};
  if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter);
  if (spec.retryAfterMs !== undefined) headers['retry-after-ms'] = String(spec.retryAfterMs);
  return headers;
}

/** Cut a payload in half: a strict prefix of a JSON object or of `[DONE]` never parses. */
export function truncatePayload(data: string): string {
  return data.slice(0, Math.max(1, Math.floor(data.length / 2)));
}

/** Which event `malformedChunk` breaks: the one asked for, else the second (the first stays valid). */
function malformedIndex(fault: StreamFault, count: number): number | undefined {
  if (fault.malformedChunk === undefined || count === 0) return undefined;
  const wanted = fault.malformedChunk === true ? 1 : fault.malformedChunk.atEvent;
  return Math.min(wanted, count - 1);
}

/** Apply the content faults of a step to its event list. */
export function disturbEvents(
  events: SseEvent[],
  fault: StreamFault | undefined,
  wire: WireApi,
  ctx: CallContext,
): SseEvent[] {
  if (!fault) return events;
  let out = events;
  if (fault.streamError) {
    const sent = Math.min(fault.streamError.afterEvents ?? 1, out.length);
    out = [...out.slice(0, sent), ...wire.streamError(streamErrorSpec(fault.streamError, wire), ctx, sent)];
  }
  const broken = malformedIndex(fault, out.length);
  if (broken !== undefined) {
    out = out.map((event, i) => {
      if (i !== broken) return event;
      // Keep the event name: a real truncated event still arrives under its own type.
      const { raw: _raw, ...rest } = event;
      return { ...rest, data: truncatePayload(event.data) };
    });
  }
  return out;
}

export function writeOptions(fault: StreamFault | undefined): WriteOptions {
  return { slowChunksMs: fault?.slowChunksMs, cutAfterEvents: fault?.cutAfterEvents };
}
