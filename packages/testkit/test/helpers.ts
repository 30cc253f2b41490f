/** Client-side helpers for the testkit's own tests: plain fetch, hand-parsed SSE. */
import type { MockApi, MockLLM } from '@oxydra/testkit';

// biome-ignore lint/suspicious/noExplicitAny: tests read deep, untyped provider payloads.
export type Loose = any;

export const FIXTURES = new URL('../../../../shared/fixtures/providers/', import.meta.url);

/** The endpoint path relative to `mock.url`, as each SDK would build it. */
export function endpoint(api: MockApi, options: { stream?: boolean; model?: string } = {}): string {
  const stream = options.stream ?? true;
  switch (api) {
    case 'openai-chat':
      return '/chat/completions';
    case 'openai-responses':
      return '/responses';
    case 'anthropic':
      return '/v1/messages';
    case 'gemini':
      return `/v1beta/models/${options.model ?? 'gemini-2.5-flash'}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
  }
}

/** A minimal request body in each API's shape, with one user message. */
export function requestBody(api: MockApi, text: string, stream = true): Record<string, unknown> {
  switch (api) {
    case 'openai-chat':
      return { model: 'gpt-test', stream, messages: [{ role: 'user', content: text }] };
    case 'openai-responses':
      return { model: 'gpt-test', stream, input: [{ role: 'user', content: text }] };
    case 'anthropic':
      return { model: 'claude-test', max_tokens: 100, stream, messages: [{ role: 'user', content: text }] };
    case 'gemini':
      return { contents: [{ role: 'user', parts: [{ text }] }] };
  }
}

export async function post(
  mock: MockLLM,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(mock.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** Send the API's minimal request and return the response. */
export function call(mock: MockLLM, text = 'hello', stream = true): Promise<Response> {
  return post(mock, endpoint(mock.api, { stream }), requestBody(mock.api, text, stream));
}

export interface ParsedEvent {
  event?: string;
  data: string;
}

/** Split an SSE body into events (LF or CRLF framing). */
export function parseSse(text: string): ParsedEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((frame) => frame !== '')
    .map((frame) => {
      const event: ParsedEvent = { data: '' };
      for (const line of frame.split(/\r?\n/)) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data = line.slice(6);
      }
      return event;
    });
}

/** JSON payloads of an SSE body, `[DONE]` left out. */
export function sseJson(text: string): Loose[] {
  return parseSse(text)
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data) as Loose);
}

/** Read a body to its end or until the connection breaks, returning what arrived. */
export async function readAll(res: Response): Promise<{ text: string; error?: unknown }> {
  const reader = res.body?.getReader();
  if (!reader) return { text: '' };
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode() };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** Concatenated text deltas of a stream, whatever the API. */
export function streamedText(api: MockApi, text: string): string {
  const payloads = sseJson(text);
  switch (api) {
    case 'openai-chat':
      return payloads.map((p) => p.choices?.[0]?.delta?.content ?? '').join('');
    case 'openai-responses':
      return payloads
        .filter((p) => p.type === 'response.output_text.delta')
        .map((p) => p.delta)
        .join('');
    case 'anthropic':
      return payloads
        .filter((p) => p.type === 'content_block_delta' && p.delta.type === 'text_delta')
        .map((p) => p.delta.text)
        .join('');
    case 'gemini':
      return payloads
        .flatMap((p) => p.candidates?.[0]?.content?.parts ?? [])
        .filter((part: Loose) => !part.thought && typeof part.text === 'string')
        .map((part: Loose) => part.text)
        .join('');
  }
}
