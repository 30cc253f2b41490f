/** Client-side helpers for the testkit's own tests: plain fetch, hand-parsed SSE. */
import type { MockApi, MockLLM } from '@oxydra/testkit';
import { WIRE_CASES } from './wire-cases.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read deep, untyped provider payloads.
export type Loose = any;

export const FIXTURES = new URL('../../../../shared/fixtures/providers/', import.meta.url);

/** The endpoint path relative to `mock.url`, as each SDK would build it. */
export function endpoint(api: MockApi, options: { stream?: boolean; model?: string } = {}): string {
  return WIRE_CASES[api].endpoint(options.stream ?? true, options.model);
}

/** A minimal request body in each API's shape, with one user message. */
export function requestBody(api: MockApi, text: string, stream = true): Record<string, unknown> {
  return WIRE_CASES[api].requestBody(text, stream);
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
  return WIRE_CASES[api].streamedText(sseJson(text));
}
