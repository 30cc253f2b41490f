/**
 * Bounds on what a server sends, where nothing else bounds it: a refused request's body (read to
 * word the error), a 2xx JSON answer, one server-sent event. Each is another server's text, of
 * any size; past the bound the stream is cancelled and the answer refused in one line.
 */
import { InStreamError } from './errors.js';

/**
 * At most this much of a refusal's body (a non-2xx answer) is kept. Every reader of one (our
 * adapters' error makers, the Anthropic SDK's, the endpoint probe) reads it whole to word an
 * error message, and it is another server's text, of any size: a gigabyte error page would
 * otherwise be held in memory, twice as a string.
 */
export const REFUSAL_BODY_BYTES = 64 * 1024;

/**
 * `response` with only the first REFUSAL_BODY_BYTES of its body, the rest left unread (the
 * connection is let go). A read that fails midway keeps what came. A status the Response
 * constructor refuses (a server may answer 999) is kept as the status text and said as 502, the
 * status for an upstream answer that is not valid HTTP.
 */
export async function withBoundedBody(response: Response): Promise<Response> {
  const { chunks } = await readUpTo(response.body, REFUSAL_BODY_BYTES - 1, true);
  const valid = response.status >= 200 && response.status <= 599;
  return new Response(Buffer.concat(chunks).subarray(0, REFUSAL_BODY_BYTES), {
    status: valid ? response.status : 502,
    statusText: valid ? response.statusText : `HTTP ${response.status} ${response.statusText}`.trim(),
    headers: response.headers,
  });
}

/**
 * `body` read until it ends or holds more than `maxBytes`: the chunks as they came (no copy) and
 * their size. Past the bound the rest is left unread and the stream cancelled, which lets the
 * connection go. A read that fails is rethrown, unless `keepOnFailure`: then what came is kept.
 */
async function readUpTo(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  keepOnFailure = false,
): Promise<{ chunks: Uint8Array[]; size: number }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (body === null) return { chunks, size };
  const reader = body.getReader();
  try {
    while (size <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    // Cut or aborted: a refusal is worded from what arrived; an answer fails as before.
    if (!keepOnFailure) throw error;
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { chunks, size };
}

/** UTF-8 with a leading BOM dropped, as `Response.json()` and `text()` decode. */
const UTF8 = new TextDecoder();

/**
 * A 2xx answer's JSON, read as `response.json()` reads it (the same value, the same SyntaxError
 * for a malformed one) but refused once its body passes `maxBytes`: a server sending an endless
 * or multi-GB answer would otherwise be buffered until the process died. The refusal is an
 * `answer_too_large` error (a JSON body is not a stream: an overlong SSE event's is
 * `unsupported_stream`), a `bad_request` like it, never retried, one line naming the bound and
 * the server (its origin: no path, query or body). The chunks are joined and decoded once.
 */
export async function readJsonBounded(response: Response, maxBytes: number, what: string): Promise<unknown> {
  const { chunks, size } = await readUpTo(response.body, maxBytes);
  if (size > maxBytes) throw answerTooLarge(response.url, maxBytes, what);
  return JSON.parse(UTF8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
}

/**
 * At most the first `maxBytes` of a body, as text (UTF-8), the rest left unread: for an answer
 * of which only the start matters (a checksum file's first hash).
 */
export async function readTextPrefix(response: Response, maxBytes: number): Promise<string> {
  const { chunks } = await readUpTo(response.body, maxBytes - 1);
  return UTF8.decode(Buffer.concat(chunks).subarray(0, maxBytes));
}

/** `bytes` as a size in messages: "32 MiB", "224 KiB", "1.5 MiB". */
function shownSize(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${Number(mib.toFixed(1))} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

function answerTooLarge(url: string, maxBytes: number, what: string): InStreamError {
  let server = 'the server';
  try {
    server = new URL(url).origin;
  } catch {
    // A Response made in this process (a test's fetch) has no URL.
  }
  return new InStreamError(
    `${server} sent ${what} over ${shownSize(maxBytes)}, more than any model API sends: the answer ` +
      'was dropped (is base_url the API, not another kind of server?)',
    { code: 'answer_too_large' },
  );
}

/**
 * `fetcher`'s answers with a stream bound for a reader that has none of its own (the Anthropic
 * SDK's SSE decoder): a 2xx body errors with the same `unsupported_stream` refusal as SseReader's
 * once MAX_EVENT_CHARS bytes pass without an event's end, and with SseReader's `answer_too_large`
 * once the body passes MAX_ANSWER_BYTES (a blank line, in any of SSE's three
 * line ends). Only the ends are looked for, with native searches: no copy, no decoding.
 */
export function boundingEvents(fetcher: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetcher(input, init);
    if (!response.ok || response.body === null) return response;
    let since = 0;
    let total = 0;
    let tail = Buffer.alloc(0);
    const bounded = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          total += chunk.byteLength;
          if (total > MAX_ANSWER_BYTES) {
            controller.error(answerTooLong());
            return;
          }
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          let end = afterLastEventEnd(bytes);
          // An end split between two reads: the previous read's last bytes and this one's first.
          if (
            end < 0 &&
            tail.length > 0 &&
            afterLastEventEnd(Buffer.concat([tail, bytes.subarray(0, 3)])) >= 0
          )
            end = 0;
          since = end >= 0 ? bytes.length - end : since + bytes.length;
          if (since > MAX_EVENT_CHARS) {
            controller.error(eventTooLarge());
            return;
          }
          tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 3)));
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(bounded, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * The most characters one event may hold before its end arrives (eventsource-parser's
 * `maxBufferSize`: an unended line plus an unended event's data). No API sends events near it (a
 * Responses API `response.completed` repeats the whole answer, a few hundred KB for a long one);
 * a server sending one endless line would otherwise grow the buffer until the process died.
 */
export const MAX_EVENT_CHARS = 32 * 1024 * 1024;

/** Where the text after `bytes`' last blank line (\n\n, \r\n\r\n or \r\r) starts; -1 if it has none. */
function afterLastEventEnd(bytes: Buffer): number {
  const lf = bytes.lastIndexOf('\n\n');
  const crlf = bytes.lastIndexOf('\n\r\n');
  const cr = bytes.lastIndexOf('\r\r');
  return Math.max(lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 3, cr < 0 ? -1 : cr + 2);
}

/**
 * The most bytes one streamed answer may bring, whatever its events: a server sending event after
 * well-formed event (64 KiB text deltas, or tool-call argument fragments, never a `[DONE]`) had
 * every one kept in the run's answer until the 512 MB string limit of V8 failed the run as an
 * internal error, the process grown past 1 GB on the way (a gateway serving others with it). No
 * model answers near it: the longest outputs (128K tokens, a Responses stream that repeats its
 * answer in `response.completed`, a Gemini image) are a few MiB.
 */
export const MAX_ANSWER_BYTES = 2 * MAX_EVENT_CHARS;

export function answerTooLong(): InStreamError {
  return new InStreamError(
    `the server streamed over ${MAX_ANSWER_BYTES / 1024 / 1024} MiB in one answer, more than any model ` +
      'API sends: the answer was dropped (is base_url the API, not another kind of server?)',
    { code: 'answer_too_large' },
  );
}

export function eventTooLarge(): InStreamError {
  return new InStreamError(
    `the server sent over ${MAX_EVENT_CHARS / 1024 / 1024} MiB without ending an event, which no ` +
      'model API does: the answer was dropped (is base_url the API, not another kind of server?)',
    { code: 'unsupported_stream' },
  );
}
