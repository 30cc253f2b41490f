/**
 * Server-sent events: one framing function and one writer for all four APIs. The writer waits
 * for each frame to reach the socket before the next, so "cut after n events" means the client
 * really received n events, and slow streams stop as soon as the client goes away.
 */
import type { ServerResponse } from 'node:http';

export interface SseEvent {
  /** The `event:` field; absent for OpenAI Chat and Gemini, which send `data:` only. */
  event?: string;
  /** The `data:` payload, sent verbatim (never re-serialised). */
  data: string;
  /** A frame already encoded (pre-framed fixtures): written byte for byte. */
  raw?: string;
}

export type LineEnding = '\n' | '\r\n';

export function frameEvent(event: SseEvent, eol: LineEnding): string {
  if (event.raw !== undefined) return event.raw;
  const name = event.event === undefined ? '' : `event: ${event.event}${eol}`;
  return `${name}data: ${event.data}${eol}${eol}`;
}

export function jsonEvent(payload: unknown, event?: string): SseEvent {
  const data = JSON.stringify(payload);
  return event === undefined ? { data } : { event, data };
}

export interface WriteOptions {
  slowChunksMs?: number;
  /** Destroy the socket after this many frames. */
  cutAfterEvents?: number;
}

/** Resolves when `ms` passed or the response closed, whichever is first. */
export function pause(res: ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

/** Write a chunk and wait until it is handed to the socket (or the response died). */
function writeChunk(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) {
      resolve();
      return;
    }
    res.write(chunk, () => resolve());
  });
}

/** Send frames already encoded, honouring the slow and cut faults, then end or destroy. */
export async function writeFrames(
  res: ServerResponse,
  frames: string[],
  options: WriteOptions,
): Promise<void> {
  res.flushHeaders();
  const cut = options.cutAfterEvents;
  for (const [i, frame] of frames.entries()) {
    if (res.destroyed) return;
    if (cut !== undefined && i >= cut) break;
    if (i > 0 && options.slowChunksMs) await pause(res, options.slowChunksMs);
    if (res.destroyed) return;
    await writeChunk(res, frame);
  }
  if (cut !== undefined) {
    // A dropped connection, never a clean end (even when every frame went out): the client
    // sees a chunked body without its terminator.
    res.socket?.destroy();
    res.destroy();
    return;
  }
  res.end();
}

/** Recorded `data:` lines as data-only events (OpenAI Chat, Gemini). */
export function dataEvents(lines: readonly string[]): SseEvent[] {
  return lines.map((data) => ({ data }));
}

/** Recorded lines as events named by their JSON `type` (Responses, Anthropic). */
export function typedEvents(lines: readonly string[]): SseEvent[] {
  return lines.map((data) => {
    const parsed: unknown = JSON.parse(data);
    const type =
      typeof parsed === 'object' && parsed !== null ? (parsed as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') throw new Error(`fixture line has no string "type": ${data.slice(0, 80)}`);
    return { event: type, data };
  });
}
