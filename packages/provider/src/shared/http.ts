/**
 * What the adapters that speak their API on plain `fetch` (Gemini, OpenAI) send with every
 * request: our user agent, the configured extra headers over ours, and a timeout on the wait for
 * the response to start. Redirects are not followed (see postJson). How they read the streamed
 * answer (SseReader). And where requests go when no fetch is configured: httpFetch, on node:http
 * (at the end). The bounds on what a server sends are in bounded.ts.
 */

import type { ClientRequest, Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { decodedBody } from '@oxydra/types';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import {
  answerTooLong,
  eventTooLarge,
  MAX_ANSWER_BYTES,
  MAX_EVENT_CHARS,
  withBoundedBody,
} from './bounded.js';
import { InStreamError } from './errors.js';
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
 * Where a request goes when no fetch was configured: httpFetch (below, which says why), unless
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

export class SseReader {
  readonly headers: Headers;
  protected readonly parser: EventSourceParser;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pending: string[] = [];
  private finished = false;
  private overflowed = false;
  /**
   * Bytes of the answer read so far (with `before`, what earlier requests of the same reply
   * brought: Gemini's continuations): past MAX_ANSWER_BYTES the answer is refused.
   */
  private received: number;

  constructor(response: Response, before = 0) {
    this.received = before;
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
    this.received += value.byteLength;
    if (this.received > MAX_ANSWER_BYTES) {
      this.cancel();
      throw answerTooLong();
    }
    this.feed(this.decoder.decode(value, { stream: true }));
    if (this.overflowed) {
      this.cancel();
      throw eventTooLarge();
    }
    return this.take();
  }

  /** Bytes read so far, with those of earlier requests given to the constructor. */
  get receivedBytes(): number {
    return this.received;
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

/**
 * httpFetch, the providers' default `fetch`: the subset of fetch's contract our requests use, on node:http
 * and node:https with keep-alive agents, answering with a standard `Response`.
 *
 * Why not the global fetch: Node's fetch (undici) parses every response with llhttp compiled to
 * WebAssembly, which V8 recompiles with its optimising tier after a couple of responses. For a
 * program that makes a few model calls that compile is most of what the HTTP path costs: ~28 MB
 * of peak RSS and ~120 ms of CPU in a one-run process, and ~1 ms of CPU a run (two streamed
 * requests) in a long-lived one, against node:http's parser, built into Node. The CLI avoided it
 * with a V8 flag, which a library must not set in its host program's process.
 *
 * What it keeps of fetch: the request (method, headers, a string or bytes body, the signal), the
 * answer as a Response whose body streams, a failure to connect as `TypeError('fetch failed')`
 * with the system error as its cause (what the error wording reads), an abort as the signal's
 * reason, fetch's idle timeouts (300 s for the head, 300 s between body bytes), a compressed
 * body decompressed. Redirects are refused as fetch's `redirect: 'error'` refuses them: this is
 * only ever called by refusingRedirects (http.ts), which says why. Whatever else fetch takes (a
 * Request object, a streamed or form body, a non-HTTP URL) goes to the global fetch.
 */

type Transport = {
  request: (url: URL, options: RequestOptions, answer: (response: IncomingMessage) => void) => ClientRequest;
  agent: HttpAgent | HttpsAgent;
};

/** undici's defaults (headersTimeout, bodyTimeout), which our callers were written against. */
const IDLE_MS = 300_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Statuses whose answer has no body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

const transports = new Map<string, Promise<Transport>>();

/** One agent per protocol for the process; https (and so tls) is loaded only when used. */
function transportFor(protocol: 'http:' | 'https:'): Promise<Transport> {
  let transport = transports.get(protocol);
  if (transport === undefined) {
    transport = (protocol === 'http:' ? import('node:http') : import('node:https')).then((module) => ({
      request: module.request,
      // Free sockets are unref'd by the agent, so a kept connection never holds the process open.
      agent: new module.Agent({ keepAlive: true }),
    }));
    transports.set(protocol, transport);
  }
  return transport;
}

/** The body as bytes or text, or undefined when it is of a kind only the global fetch takes. */
function plainBody(body: RequestInit['body']): string | Uint8Array | null | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}

export const httpFetch = createHttpFetch(IDLE_MS);

/** httpFetch with another idle timeout (a test's, so it need not wait five minutes). */
export function createHttpFetch(idleMs: number): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? safeUrl(input) : input instanceof URL ? input : undefined;
    const body = plainBody(init?.body);
    if (url === undefined || body === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      return globalThis.fetch(input, init);
    const signal = init?.signal ?? undefined;
    const transport = await transportFor(url.protocol);
    signal?.throwIfAborted(); // after the await: an abort during it has no listener to hear it

    return new Promise<Response>((resolve, reject) => {
      let answering: IncomingMessage | undefined;
      const headers: Record<string, string> = { accept: '*/*' };
      for (const [name, value] of new Headers(init?.headers)) headers[name] = value;
      if (body !== null || init?.method === 'POST' || init?.method === 'PUT')
        headers['content-length'] = String(body === null ? 0 : Buffer.byteLength(body));
      const request = transport.request(
        url,
        { method: init?.method ?? 'GET', headers, agent: transport.agent },
        (message) => {
          answering = message;
          const answered = answer(message, url, stopListening);
          if (answered instanceof Error) reject(answered);
          else resolve(answered);
        },
      );
      // Once the answer began, a failure errors its body (as fetch's does), not just the request.
      const fail = (error: unknown) => {
        answering?.destroy(error as Error);
        request.destroy(error as Error);
      };
      const onAbort = () => fail(signal?.reason);
      const stopListening = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      request.setTimeout(idleMs, () =>
        fail(
          answering === undefined
            ? timeoutError('UND_ERR_HEADERS_TIMEOUT', 'head', idleMs)
            : timeoutError('UND_ERR_BODY_TIMEOUT', 'body', idleMs),
        ),
      );
      request.on('error', (error) => {
        stopListening();
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
      });
      request.end(body ?? undefined);
    });
  };
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The socket was idle for `idleMs`: before the answer's head, or between bytes of its body. */
function timeoutError(code: string, part: string, idleMs: number): Error {
  const message = `the server sent nothing for ${idleMs / 1000} s while the answer's ${part} was awaited`;
  return Object.assign(new Error(message), { code });
}

/** The Response for `message`, or the redirect refusal fetch's `redirect: 'error'` gives. */
function answer(message: IncomingMessage, url: URL, stopListening: () => void): Response | Error {
  message.once('close', stopListening);
  const status = message.statusCode ?? 0;
  if (REDIRECT_STATUSES.has(status) && message.headers.location !== undefined) {
    message.destroy();
    return new TypeError('fetch failed', { cause: new Error('unexpected redirect') });
  }
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2)
    headers.append(raw[index] ?? '', raw[index + 1] ?? '');
  const valid = status >= 200 && status <= 599;
  const init: ResponseInit = {
    status: valid ? status : 502,
    statusText: valid
      ? (message.statusMessage ?? '')
      : `HTTP ${status} ${message.statusMessage ?? ''}`.trim(),
    headers,
  };
  if (NULL_BODY_STATUSES.has(status)) {
    message.resume();
    return withUrl(new Response(null, init), url);
  }
  return withUrl(new Response(Readable.toWeb(decodedBody(message)) as ReadableStream<Uint8Array>, init), url);
}

/**
 * The response's `url`, as fetch's names the address it answered for (errors name its origin): a
 * constructed Response has none, so it is an own property over the prototype's empty getter.
 */
function withUrl(response: Response, url: URL): Response {
  const href = url.hash === '' ? url.href : url.href.slice(0, -url.hash.length);
  return Object.defineProperty(response, 'url', { value: href, enumerable: true });
}
