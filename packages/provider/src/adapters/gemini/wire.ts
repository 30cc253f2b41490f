/**
 * The Gemini API on plain `fetch`, shared by the chat adapter and the embedder: where requests
 * go (base URL + version + model, as @google/genai composed them), the headers, the POST, and
 * the SSE reader (eventsource-parser) that turns a streamed answer into parsed chunks.
 */
import { type HttpTransport, postJson, SseReader, USER_AGENT, withExtraHeaders } from '../../shared/http.js';
import { httpError, streamErrorOf } from './errors.js';
import type { GeminiChunk } from './events.js';

const VERSIONED = /^(.*)\/(v1beta|v1alpha|v1)$/;

/**
 * `{base}/{version}` for a configured base URL, as the adapter composed it through the SDK's
 * httpOptions (baseUrl, apiVersion): trailing slashes dropped, a base URL that ends in a version
 * keeps it (…/v1beta, …/v1, …/v1alpha), any other gets /v1beta.
 */
export function geminiApiRoot(baseURL: string): string {
  const trimmed = baseURL.replace(/\/+$/, '');
  const match = VERSIONED.exec(trimmed);
  const [base, version] =
    match?.[1] !== undefined && match[2] !== undefined ? [match[1], match[2]] : [trimmed, 'v1beta'];
  return `${base.endsWith('/') ? base.slice(0, -1) : base}/${version}`;
}

/** `models/{model}` (or `tunedModels/...` as given). */
export function geminiModelPath(model: string): string {
  return model.startsWith('models/') || model.startsWith('tunedModels/') ? model : `models/${model}`;
}

/** A model name that would leave the models/ path or add to the query is refused, as the SDK did. */
export function invalidModel(model: string): string | undefined {
  if (model === '') return 'no model is set';
  if (model.includes('..') || model.includes('?') || model.includes('&')) {
    return `invalid model name "${model}" (it may not contain "..", "?" or "&")`;
  }
  return undefined;
}

/** The URL of one method on one model; `new URL` normalises it exactly as the SDK's did. */
export function geminiMethodUrl(root: string, model: string, method: string): string {
  return new URL(`${root}/${geminiModelPath(model)}:${method}`).href;
}

export function geminiStreamUrl(root: string, model: string): string {
  const url = new URL(`${root}/${geminiModelPath(model)}:streamGenerateContent?alt=sse`);
  // A base URL with a query string of its own would hide ours (the SDK checked the same way).
  if (url.searchParams.get('alt') !== 'sse') url.searchParams.set('alt', 'sse');
  return url.href;
}

/**
 * The headers of every request, built once per provider: extra headers replace ours (names are
 * case-insensitive), and an `x-goog-api-key` among them wins over the configured key.
 */
export function geminiHeaders(apiKey: string, extraHeaders?: Record<string, string>): Record<string, string> {
  const headers = withExtraHeaders(
    { 'content-type': 'application/json', 'user-agent': USER_AGENT },
    extraHeaders,
  );
  headers['x-goog-api-key'] ??= apiKey;
  return headers;
}

export type GeminiTransport = HttpTransport;

/** POST a JSON body; a non-2xx answer becomes a GeminiApiError (status, headers, parsed body). */
export function postGemini(
  transport: GeminiTransport,
  url: string,
  body: string,
  signal?: AbortSignal,
): Promise<Response> {
  return postJson(transport, url, body, signal, httpError);
}

const EMPTY_CHUNK: GeminiChunk = Object.freeze({});

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/** Where the text after the last event delimiter starts (-1: no delimiter in `text`). */
function afterLastDelimiter(text: string): number {
  const lf = text.lastIndexOf('\n\n');
  const cr = text.lastIndexOf('\r\r');
  const crlf = text.lastIndexOf('\r\n\r\n');
  return Math.max(lf < 0 ? -1 : lf + 2, cr < 0 ? -1 : cr + 2, crlf < 0 ? -1 : crlf + 4);
}

/**
 * A streamGenerateContent answer, read as SSE. Two checks keep what the SDK caught: an answer
 * that is a bare JSON error object (no SSE framing) is that error, and text left after the last
 * complete event when the stream ends means it was cut mid-event.
 */
export class GeminiEventReader extends SseReader {
  /** Non-blank text arrived after the last event delimiter. */
  private trailing = false;
  /** The last characters of the previous read, for delimiters split between reads. */
  private carry = '';

  /** One event's data as a chunk; an error event (HTTP-like code) is thrown as a GeminiApiError. */
  chunk(data: string): GeminiChunk {
    const parsed: unknown = JSON.parse(data);
    // Anything but an object (null, a number...) carries nothing, as the SDK read it.
    if (typeof parsed !== 'object' || parsed === null) return EMPTY_CHUNK;
    if ((parsed as { error?: unknown }).error !== undefined) {
      const error = streamErrorOf(parsed, this.headers);
      if (error !== undefined) throw error;
    }
    return parsed as GeminiChunk;
  }

  protected override feed(text: string): void {
    const first = text.charCodeAt(0);
    if (first === 123 /* { */ || isSpace(first)) this.checkBareError(text);
    if (text.endsWith('\r\n\r\n') || text.endsWith('\n\n') || text.endsWith('\r\r')) {
      // The usual read: it ends with its last event's delimiter.
      this.trailing = false;
      this.carry = text.slice(-3);
    } else {
      const joined = this.carry + text;
      const after = afterLastDelimiter(joined);
      if (after >= 0) this.trailing = /\S/.test(joined.slice(after));
      else if (!this.trailing) this.trailing = /\S/.test(text);
      this.carry = joined.slice(-3);
    }
    super.feed(text);
  }

  protected override ended(): void {
    if (this.trailing) throw new Error('Incomplete JSON segment at the end');
    // Only blank text is left: a final CR the parser held back (it might have begun a CRLF)
    // still ends the last event.
    this.parser.feed('\n');
  }

  /** A read that is a whole JSON error object: an error answer sent with status 200. */
  private checkBareError(text: string): void {
    let start = 0;
    while (start < text.length && isSpace(text.charCodeAt(start))) start++;
    if (text.charCodeAt(start) !== 123) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const error = streamErrorOf(parsed, this.headers);
    if (error !== undefined) throw error;
  }
}
