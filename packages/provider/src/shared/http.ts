/**
 * What the adapters that speak their API on plain `fetch` (Gemini, OpenAI) send with every
 * request: our user agent, the configured extra headers over ours, and a timeout on the wait for
 * the response to start. Redirects are not followed (see postJson). And how they read the
 * streamed answer (SseReader, below).
 */

import { createParser, type EventSourceParser } from 'eventsource-parser';
import { InStreamError } from './errors.js';
import { httpFetch } from './http-fetch.js';

/** Sent on every request (the SDKs sent their own: `OpenAI/JS 6.x`, `google-genai-sdk/...`). */
export const USER_AGENT = 'oxydra/0.1.0';

/**
 * `ours` with the configured extra headers over them: names are case-insensitive, so they are
 * lowercased and an extra `Authorization` replaces our `authorization`, as the SDKs merged them.
 */
export function withExtraHeaders(
  ours: Record<string, string>,
  extraHeaders: Record<string, string> | undefined,
): Record<string, string> {
  const headers = { ...ours };
  for (const [name, value] of Object.entries(extraHeaders ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * The adapter's fetch: `timeoutMs` bounds the wait for the response to start, never the stream
 * itself (a long reply may take minutes to arrive, and must not be cut while it does).
 */
export async function fetchWithStartTimeout(
  fetcher: typeof fetch,
  timeoutMs: number | undefined,
  url: string,
  init: RequestInit,
): Promise<Response> {
  // No start timeout: skip the extra controller and AbortSignal.any on this hot path.
  if (timeoutMs === undefined) return fetcher(url, init);
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException('the request timed out', 'TimeoutError')),
    timeoutMs,
  );
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  try {
    return await fetcher(url, { ...init, signal });
  } finally {
    clearTimeout(timer);
  }
}

/** Where and how one provider's requests go: built once, with the headers already merged. */
export interface HttpTransport {
  /** Unset: the global fetch, looked up per call (tests and instrumentation may swap it). */
  fetch?: typeof fetch | undefined;
  timeoutMs: number | undefined;
  headers: Record<string, string>;
}

/**
 * `fetcher` (the global fetch when unset) with redirects refused, not followed: fetch would send
 * the request again, headers included, to wherever the answer points, and only `authorization`
 * is dropped when that is another origin, so an x-api-key, x-goog-api-key or configured extra
 * header would reach a server the user never named. API endpoints do not redirect in normal
 * use; a base URL that does is a configuration to fix, said as such (an InStreamError that is
 * not retried). Refusing also spares fetch the copy of every request it keeps to replay after a
 * redirect (~30 µs a call on Node 20: undici tees the body unless the redirect mode is "error"
 * and there is no window). Used by the adapters on fetch and given to the Anthropic SDK.
 */
export function refusingRedirects(fetcher?: typeof fetch): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await (fetcher ?? defaultFetch())(input, { ...init, redirect: 'error', window: null });
    } catch (error) {
      if (isRedirectRefusal(error))
        throw redirectRefused(String(input instanceof Request ? input.url : input));
      throw error;
    }
    return response.ok ? response : withBoundedBody(response);
  };
}

/** The global fetch as Node made it, to tell whether a program (or a test) swapped its own in. */
const nodeFetch = globalThis.fetch;
/** Where Node's fetch (undici) keeps the dispatcher every fetch goes through. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
/** fetch's own dispatcher as found at the first request (null: it was already the program's). */
let fetchDispatcher: unknown;
let globalFetchRequired = false;

/**
 * Sends every later provider request through the global fetch, and so through whatever dispatcher
 * the process gave it: the runner guest calls this after routing fetch through its egress proxy
 * (a container guest has no network of its own, so a request on node:http would fail there).
 */
export function requireGlobalFetch(): void {
  globalFetchRequired = true;
}

/**
 * Where a request goes when no fetch was configured: httpFetch (http-fetch.ts says why), unless
 * the process routes fetch somewhere node:http would not follow. That is: the program replaced the
 * global fetch (instrumentation, a test's interceptor), or its dispatcher (undici's
 * setGlobalDispatcher, e.g. a proxy agent: fetch's own is an `Agent`, installed when fetch's
 * module loads, and any other object there, or a later change, is the program's), or asked Node
 * to use the environment's proxy (NODE_USE_ENV_PROXY), or requireGlobalFetch was called.
 */
function defaultFetch(): typeof fetch {
  if (globalFetchRequired || globalThis.fetch !== nodeFetch || process.env.NODE_USE_ENV_PROXY)
    return globalThis.fetch;
  const slot = globalThis as unknown as Record<symbol, unknown>;
  if (fetchDispatcher === undefined) {
    void globalThis.Headers; // loads fetch's module, which installs its dispatcher if none is set
    const found = slot[GLOBAL_DISPATCHER];
    fetchDispatcher = (found as object | undefined)?.constructor?.name === 'Agent' ? found : null;
  }
  return fetchDispatcher !== null && slot[GLOBAL_DISPATCHER] === fetchDispatcher
    ? httpFetch
    : globalThis.fetch;
}

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
async function withBoundedBody(response: Response): Promise<Response> {
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
 * `unsupported_stream` error like an overlong SSE event's: a `bad_request`, never retried, one
 * line naming the bound and the server (its origin: no path, query or body). The chunks are
 * joined and decoded once.
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
    { code: 'unsupported_stream' },
  );
}

/**
 * `fetcher`'s answers with a stream bound for a reader that has none of its own (the Anthropic
 * SDK's SSE decoder): a 2xx body errors with the same `unsupported_stream` refusal as SseReader's
 * once MAX_EVENT_CHARS bytes pass without an event's end (a blank line, in any of SSE's three
 * line ends). Only the ends are looked for, with native searches: no copy, no decoding.
 */
export function boundingEvents(fetcher: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetcher(input, init);
    if (!response.ok || response.body === null) return response;
    let since = 0;
    let tail = Buffer.alloc(0);
    const bounded = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
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

/** The global fetch (looked up per call) with redirects refused: built once, not per request. */
const refusingGlobalFetch = refusingRedirects();

/** POST a JSON body; a non-2xx answer becomes the API's own error, made by `httpError`. */
export async function postJson(
  transport: HttpTransport,
  url: string,
  body: string,
  signal: AbortSignal | undefined,
  httpError: (response: Response) => Promise<Error>,
): Promise<Response> {
  const response = await fetchWithStartTimeout(
    transport.fetch ? refusingRedirects(transport.fetch) : refusingGlobalFetch,
    transport.timeoutMs,
    url,
    {
      method: 'POST',
      headers: transport.headers,
      body,
      ...(signal !== undefined ? { signal } : {}),
    },
  );
  if (!response.ok) throw await httpError(response);
  return response;
}

/** undici's word for a redirect met in redirect mode "error": TypeError('fetch failed'), cause 'unexpected redirect'. */
function isRedirectRefusal(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return error instanceof TypeError && cause instanceof Error && /redirect/i.test(cause.message);
}

function redirectRefused(url: string): InStreamError {
  const origin = new URL(url).origin;
  return new InStreamError(
    `${origin} answered with a redirect, which API requests do not follow (the request, key included, ` +
      'would go to another address): set base_url to the address it redirects to',
    { code: 'unsupported_redirect' },
  );
}

/**
 * A streamed answer read as server-sent events with eventsource-parser, for the adapters that
 * speak their API on `fetch` (Gemini, OpenAI). `next()` gives the `data` of the events each
 * network read completes, in one array: a batch per read, not a promise per event, keeps the
 * per-event cost of a long reply low.
 */

const NO_EVENTS: readonly string[] = Object.freeze([]);

/**
 * The most characters one event may hold before its end arrives (eventsource-parser's
 * `maxBufferSize`: an unended line plus an unended event's data). No API sends events near it (a
 * Responses API `response.completed` repeats the whole answer, a few hundred KB for a long one);
 * a server sending one endless line would otherwise grow the buffer until the process died.
 */
export const MAX_EVENT_CHARS = 32 * 1024 * 1024;

export class SseReader {
  readonly headers: Headers;
  protected readonly parser: EventSourceParser;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pending: string[] = [];
  private finished = false;
  private overflowed = false;

  constructor(response: Response) {
    // @google/genai's words for it: a 204 answer, or a fetch that gave no stream.
    if (response.body === null) throw new Error('Response body is empty');
    this.headers = response.headers;
    this.reader = response.body.getReader();
    this.parser = createParser({
      onEvent: (event) => this.pending.push(event.data),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.overflowed = true;
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  /** The data of the events completed by the next read ([] if none); undefined at the end. */
  async next(): Promise<readonly string[] | undefined> {
    if (this.finished) return undefined;
    const { done, value } = await this.reader.read();
    if (done) {
      this.finished = true;
      const rest = this.decoder.decode();
      if (rest !== '') this.feed(rest);
      this.ended();
      return this.take();
    }
    this.feed(this.decoder.decode(value, { stream: true }));
    if (this.overflowed) {
      this.cancel();
      throw eventTooLarge();
    }
    return this.take();
  }

  /** Stop reading early (the consumer left, or a failure): lets the connection go. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.reader.cancel().catch(() => {});
  }

  /** One read's text, decoded; a subclass may look at it before the parser does. */
  protected feed(text: string): void {
    this.parser.feed(text);
  }

  /**
   * The body ended. By default an event not closed by a blank line is dropped, as the OpenAI
   * SDK's decoder dropped it: the translators then report the stream as cut.
   */
  protected ended(): void {}

  private take(): readonly string[] {
    if (this.pending.length === 0) return NO_EVENTS;
    const events = this.pending;
    this.pending = [];
    return events;
  }
}

/** Where the text after `bytes`' last blank line (\n\n, \r\n\r\n or \r\r) starts; -1 if it has none. */
function afterLastEventEnd(bytes: Buffer): number {
  const lf = bytes.lastIndexOf('\n\n');
  const crlf = bytes.lastIndexOf('\n\r\n');
  const cr = bytes.lastIndexOf('\r\r');
  return Math.max(lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 3, cr < 0 ? -1 : cr + 2);
}

function eventTooLarge(): InStreamError {
  return new InStreamError(
    `the server sent over ${MAX_EVENT_CHARS / 1024 / 1024} MiB without ending an event, which no ` +
      'model API does: the answer was dropped (is base_url the API, not another kind of server?)',
    { code: 'unsupported_stream' },
  );
}
