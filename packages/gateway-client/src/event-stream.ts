/**
 * Following the gateway's live event feed (GET /api/v1/events, Server-Sent Events) with fetch:
 * EventSource cannot send the Authorization header. Each `event:`/`data:` block is parsed and
 * handed on; comments (`: keep-alive`) are skipped. Reconnects with the client's backoff until
 * stopped, or for good on 401, 403 and 404 (another try would get the same answer).
 */
import { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelay } from './backoff.js';

export interface ServerEvent {
  event: string;
  data: unknown;
}

/** Parses SSE text, keeping an unfinished block for the next chunk. */
export class SseParser {
  #buffer = '';

  push(chunk: string): ServerEvent[] {
    this.#buffer += chunk.replace(/\r\n?/g, '\n');
    const events: ServerEvent[] = [];
    let end = this.#buffer.indexOf('\n\n');
    while (end >= 0) {
      const event = parseBlock(this.#buffer.slice(0, end));
      if (event) events.push(event);
      this.#buffer = this.#buffer.slice(end + 2);
      end = this.#buffer.indexOf('\n\n');
    }
    return events;
  }
}

function parseBlock(block: string): ServerEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  try {
    return { event, data: JSON.parse(text) };
  } catch {
    return { event, data: text };
  }
}

export interface FollowOptions {
  /** Opens the stream (the caller's authorised fetch); a rejection with `status` 401/403/404 is final. */
  open: (signal: AbortSignal) => Promise<Response>;
  onEvent: (event: ServerEvent) => void;
  /** Whether the stream is live, and why not. */
  onState?: (live: boolean, problem?: string) => void;
  backoff?: BackoffPolicy;
}

const FINAL_STATUS = new Set([401, 403, 404]);

/** Follows the event stream until the returned function is called. */
export function followEvents(options: FollowOptions): () => void {
  const { open, onEvent, onState = () => {}, backoff = DEFAULT_BACKOFF } = options;
  const controller = new AbortController();
  let attempt = 0;
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await open(controller.signal);
        if (!response.body) throw new Error('no event stream');
        attempt = 0;
        onState(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const event of parser.push(value)) onEvent(event);
        }
        onState(false, 'the event stream ended');
      } catch (error) {
        if (controller.signal.aborted) return;
        onState(false, error instanceof Error ? error.message : String(error));
        if (FINAL_STATUS.has((error as { status?: number }).status ?? 0)) return;
      }
      attempt += 1;
      await new Promise((resolve) => setTimeout(resolve, reconnectDelay(attempt, backoff, Math.random)));
    }
  };
  void run();
  return () => controller.abort();
}
