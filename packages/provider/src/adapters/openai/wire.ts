/**
 * The OpenAI API on plain `fetch`, shared by the Chat Completions and Responses adapters and the
 * embedder: where requests go, the headers, the POST, and the SSE reader (eventsource-parser)
 * that turns a streamed answer into JSON events. It sends the bodies and URLs the openai SDK
 * sent for us, without the SDK's x-stainless-* headers, and it never reads an OPENAI_* variable
 * (the SDK read OPENAI_API_KEY, OPENAI_ORG_ID, OPENAI_BASE_URL, OPENAI_CUSTOM_HEADERS... unless
 * told not to): a key or header must not reach a server the user did not give it to.
 */
import type { ModelEvent } from '@oxydra/types';
import { type HttpTransport, postJson, SseReader, USER_AGENT, withExtraHeaders } from '../../shared/http.js';
import type { StreamTranslator } from '../../shared/translate.js';
import { type AdapterOptions, apiKeyOf } from '../options.js';
import { OpenAIApiError, openAIHttpError } from './errors.js';

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
