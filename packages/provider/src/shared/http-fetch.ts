/**
 * The providers' default `fetch`: the subset of fetch's contract our requests use, on node:http
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

import type { ClientRequest, Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

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
            ? timeoutError('UND_ERR_HEADERS_TIMEOUT', 'headers', idleMs)
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

function timeoutError(code: string, part: string, idleMs: number): Error {
  return Object.assign(new Error(`the server sent no ${part} for ${idleMs / 1000} s`), { code });
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
  return withUrl(new Response(Readable.toWeb(decoded(message)) as ReadableStream<Uint8Array>, init), url);
}

/**
 * The response's `url`, as fetch's names the address it answered for (errors name its origin): a
 * constructed Response has none, so it is an own property over the prototype's empty getter.
 */
function withUrl(response: Response, url: URL): Response {
  const href = url.hash === '' ? url.href : url.href.slice(0, -url.hash.length);
  return Object.defineProperty(response, 'url', { value: href, enumerable: true });
}

/** The body as sent, or decompressed when the server compressed it (fetch decodes these too). */
function decoded(message: IncomingMessage): Readable {
  const encoding = message.headers['content-encoding']?.trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return message;
  return pipeline(message, decoder, () => undefined);
}
