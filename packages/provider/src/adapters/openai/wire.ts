/**
 * The OpenAI API on plain `fetch`, shared by the Chat Completions and Responses adapters and the
 * embedder: where requests go, the headers, the POST, and the SSE reader (eventsource-parser)
 * that turns a streamed answer into JSON events. It sends the bodies and URLs the openai SDK
 * sent for us, without the SDK's x-stainless-* headers, and it never reads an OPENAI_* variable
 * (the SDK read OPENAI_API_KEY, OPENAI_ORG_ID, OPENAI_BASE_URL, OPENAI_CUSTOM_HEADERS... unless
 * told not to): a key or header must not reach a server the user did not give it to.
 */

import type { ModelEvent } from '@oxydra/types';
import type { ErrorFacts } from '../../shared/errors.js';
import { type HttpTransport, postJson, SseReader, USER_AGENT, withExtraHeaders } from '../../shared/http.js';
import type { HeaderSource } from '../../shared/retry-after.js';
import type { StreamTranslator } from '../../shared/translate.js';
import { type AdapterOptions, apiKeyOf } from '../define.js';

export type OpenAITransportOptions = Pick<
  AdapterOptions,
  'name' | 'baseURL' | 'apiKey' | 'extraHeaders' | 'timeoutMs' | 'fetch'
>;

/** The transport of one provider (or embedder): headers merged once, fetch looked up per call. */
export function openAITransport(options: OpenAITransportOptions): HttpTransport {
  const headers = withExtraHeaders(
    {
      // What the SDK sent, streams included.
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      // The placeholder when no key is configured, as the SDK got it (see apiKeyOf).
      authorization: `Bearer ${apiKeyOf(options)}`,
    },
    options.extraHeaders,
  );
  return { fetch: options.fetch, timeoutMs: options.timeoutMs, headers };
}

/**
 * `{baseURL}{path}`: the base URL includes the version (https://api.openai.com/v1), and one
 * slash joins the two, as the SDK joined them.
 */
export function openAIUrl(baseURL: string, path: `/${string}`): string {
  return baseURL.endsWith('/') ? baseURL + path.slice(1) : baseURL + path;
}

/** POST a JSON body; a non-2xx answer becomes an OpenAIApiError (status, headers, the body's error). */
export function postOpenAI(
  transport: HttpTransport,
  url: string,
  body: string,
  signal?: AbortSignal,
): Promise<Response> {
  return postJson(transport, url, body, signal, openAIHttpError);
}

/** An OpenAI stream's events: each `data` is one JSON object. */
class OpenAIEventReader extends SseReader {
  /**
   * One event's data, parsed. An object carrying `error` (a `data: {"error": ...}` line, or the
   * data of an `event: error`) is that failure, thrown as the SDK threw it: no status, the
   * answer's headers. Malformed JSON throws its SyntaxError (a transport error).
   */
  event(data: string): unknown {
    const parsed = JSON.parse(data) as { error?: unknown } | null;
    if (parsed?.error) throw new OpenAIApiError(undefined, this.headers, parsed.error);
    return parsed;
  }
}

/**
 * A streamed answer through a translator: each JSON event in, the StreamEvents it completes out,
 * then the translator's end. `data: [DONE]` ends the events (Chat Completions sends it; anything
 * after it is ignored); the body is still read to its end, as the SDK read it, so the connection
 * can serve the next request.
 */
export async function* translateOpenAIStream<T>(
  response: Response,
  translator: StreamTranslator<T>,
): AsyncGenerator<ModelEvent> {
  const reader = new OpenAIEventReader(response);
  let done = false;
  try {
    for (let batch = await reader.next(); batch !== undefined; batch = await reader.next()) {
      if (done) continue;
      for (const data of batch) {
        if (data.startsWith('[DONE]')) {
          done = true;
          break;
        }
        for (const event of translator.handle(reader.event(data) as T)) yield event;
      }
    }
  } finally {
    reader.cancel();
  }
  for (const event of translator.end()) yield event;
}

/**
 * Failures the OpenAI API (and compatible servers) report, and their facts for classification.
 * The body is `{error: {message, type, param, code}}`; an HTTP error answer carries it, and so
 * does an error inside an otherwise healthy stream (a `data: {"error": ...}` event). Read as the
 * openai SDK's APIError read them, so messages and classification did not change with the SDK.
 */

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The server's explanation, as the SDK worded it (without its "400 " prefix): the error's
 * message; else the error object itself as JSON; else the body's text when it was not JSON.
 */
function explanation(status: number | undefined, detail: unknown, text: string): string {
  const message = (detail as { message?: unknown } | null | undefined)?.message;
  if (message) return typeof message === 'string' ? message : JSON.stringify(message);
  if (detail) return JSON.stringify(detail);
  if (text !== '') return text;
  return status !== undefined ? 'status code (no body)' : '(no status code or body)';
}

/** An HTTP error answer (non-2xx: `status` set), or an error event inside the stream (no status). */
export class OpenAIApiError extends Error {
  readonly status: number | undefined;
  readonly headers: HeaderSource | undefined;
  /** The body's `error` (or the stream event's): usually {message, type, param, code}. */
  readonly error: unknown;
  readonly code: string | undefined;
  readonly type: string | undefined;
  readonly param: string | undefined;

  constructor(status: number | undefined, headers: HeaderSource | undefined, error: unknown, text = '') {
    super(explanation(status, error, text));
    this.name = 'OpenAIApiError';
    this.status = status;
    this.headers = headers;
    this.error = error;
    const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
    this.code = stringOrUndefined(fields.code);
    this.type = stringOrUndefined(fields.type);
    this.param = stringOrUndefined(fields.param);
  }
}

/**
 * The error of a non-2xx answer: its JSON body's `error`, or its text when the body is not JSON
 * (a proxy's HTML page, a plain "Bad Gateway").
 */
async function openAIHttpError(response: Response): Promise<OpenAIApiError> {
  const text = await response.text().catch((error: unknown) => (error instanceof Error ? error.message : ''));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  // As the SDK read it: a body that parses to anything truthy is asked for its `error`, any
  // other body is shown as text.
  return body
    ? new OpenAIApiError(response.status, response.headers, (body as { error?: unknown }).error)
    : new OpenAIApiError(response.status, response.headers, undefined, text);
}

export function describeOpenAIError(error: unknown): ErrorFacts | undefined {
  if (!(error instanceof OpenAIApiError)) return undefined;
  const facts: ErrorFacts = { message: error.message };
  if (error.status !== undefined) facts.status = error.status;
  if (error.headers !== undefined) facts.headers = error.headers;
  if (error.code !== undefined) facts.code = error.code;
  if (error.type !== undefined) facts.type = error.type;
  return facts;
}
