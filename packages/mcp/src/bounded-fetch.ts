/**
 * The `fetch` a Streamable HTTP server is reached with: what one message of the server may
 * bring is cut at MAX_MESSAGE_BYTES, as a stdio server's line is (the SDK's ReadBuffer, 10 MiB).
 * The SDK reads a JSON answer (and an error's body) whole with `response.json()` / `text()`, and
 * its SSE parser keeps an event until it ends: a hostile server answering with a body or one
 * event that never ends had every byte held in Oxydra's memory (300 MB sent, 750 MB resident).
 * Now a JSON or error body is cut at the cap, and an SSE stream, which may rightly live for
 * hours, at the cap between two events: reading stops there and the request fails saying so.
 * A redirect (3xx) is passed as it is: the SDK follows it within the origin only.
 */

/** The most one message (a JSON body, an SSE event) of an HTTP MCP server may hold. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

const LF = 10;
const CR = 13;

/** What every such error says (the SDK may wrap it in words of its own). */
export const TOO_LARGE = 'Oxydra stopped reading it (the limit of one MCP message)';

/** The error the read fails with: Oxydra's words, one line. */
class MessageTooLarge extends Error {
  constructor(max: number, what: string) {
    super(`the server sent more than ${max} bytes in ${what}; ${TOO_LARGE}`);
  }
}

/** A stream passing `body` through until `count` says the cap is passed. */
function capped(
  body: ReadableStream<Uint8Array>,
  count: (chunk: Uint8Array) => boolean,
  error: () => Error,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      if (count(value)) {
        await reader.cancel().catch(() => {});
        controller.error(error());
        return;
      }
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A counter of bytes in the current SSE event: a blank line ends one. */
function sseCounter(max: number): (chunk: Uint8Array) => boolean {
  let run = 0;
  let afterNewline = false;
  return (chunk) => {
    for (const byte of chunk) {
      if (byte === LF) {
        if (afterNewline) run = 0;
        afterNewline = true;
      } else if (byte !== CR) {
        afterNewline = false;
        if (++run > max) return true;
      }
    }
    return false;
  };
}

/** A counter of the bytes of a whole body. */
function totalCounter(max: number): (chunk: Uint8Array) => boolean {
  let total = 0;
  return (chunk) => {
    total += chunk.length;
    return total > max;
  };
}

/** `base` with every answer's body cut as above. */
export function boundedFetch(base: typeof fetch = fetch, max = MAX_MESSAGE_BYTES): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    if (!response.body || (response.status >= 300 && response.status < 400)) return response;
    const sse = (response.headers.get('content-type') ?? '').toLowerCase().includes('text/event-stream');
    const body = sse
      ? capped(response.body, sseCounter(max), () => new MessageTooLarge(max, 'one SSE event'))
      : capped(response.body, totalCounter(max), () => new MessageTooLarge(max, 'one answer'));
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
