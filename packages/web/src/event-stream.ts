/**
 * GET /api/v1/events, Server-Sent Events read with fetch (EventSource cannot send the
 * Authorization header): each `event:`/`data:` block is parsed and handed on; comments
 * (`: keep-alive`) are skipped. Reconnects with backoff until stopped.
 */
import { request } from './api.js';

export interface ServerEvent {
  event: string;
  data: unknown;
}

/** Parses SSE text, keeping an unfinished block for the next chunk. */
class SseParser {
  #buffer = '';

  push(chunk: string): ServerEvent[] {
    this.#buffer += chunk.replace(/\r\n?/g, '\n');
    const events: ServerEvent[] = [];
    let end = this.#buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
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
      if (data.length > 0) {
        try {
          events.push({ event, data: JSON.parse(data.join('\n')) });
        } catch {
          events.push({ event, data: data.join('\n') });
        }
      }
      end = this.#buffer.indexOf('\n\n');
    }
    return events;
  }
}

/**
 * Follows the event stream; `onState` hears whether it is live. Returns a stop function.
 */
export function followEvents(
  onEvent: (event: ServerEvent) => void,
  onState: (live: boolean, problem?: string) => void = () => {},
): () => void {
  const controller = new AbortController();
  let attempt = 0;
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await request('/api/v1/events', { signal: controller.signal });
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
        const status = (error as { status?: number }).status;
        if (status === 401 || status === 403 || status === 404) return;
      }
      attempt += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    }
  };
  void run();
  return () => controller.abort();
}
