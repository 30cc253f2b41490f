/**
 * Shared by the adapters-gemini-wire-*.test.ts files (the Gemini adapter's own wire code): a
 * fetch that records requests, SSE answers in chosen reads, stream chunks, and the provider
 * under test.
 */
import { type ModelEvent, ProviderError } from '@oxydra/types';
import { expect } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createGeminiProvider } from '../src/adapters/gemini/provider.js';
import { streamError, TEST_KEY } from './helpers-adapters.js';

export interface Sent {
  url: string;
  method: string | undefined;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records each request and answers with `reply(request, index)`. */
export function recordingFetch(reply: (sent: Sent, index: number) => Response): {
  fetch: typeof fetch;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  const fetcher = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const request = { url: String(input), method: init?.method, headers, body: String(init?.body) };
    sent.push(request);
    return reply(request, sent.length - 1);
  };
  return { fetch: fetcher as typeof fetch, sent };
}

export const encoder = new TextEncoder();

/** An SSE answer delivered in exactly these reads (strings, or bytes to split UTF-8). */
export function sse(reads: (string | Uint8Array)[], init: ResponseInit = {}): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const read of reads) controller.enqueue(typeof read === 'string' ? encoder.encode(read) : read);
      controller.close();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream' }, ...init });
}

export const chunk = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...extra }] });
export const FINAL = JSON.stringify({
  candidates: [{ content: { parts: [{ text: '!' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 7 },
});

export function provider(fetcher: typeof fetch, options: Partial<AdapterOptions> = {}) {
  return createGeminiProvider({
    name: 'gemini',
    baseURL: 'https://generativelanguage.googleapis.com',
    apiKey: TEST_KEY,
    fetch: fetcher,
    ...options,
  });
}

export function texts(events: ModelEvent[]): string {
  return events.map((event) => (event.type === 'text_delta' ? event.text : '')).join('');
}

export async function failure(events: AsyncIterable<ModelEvent>): Promise<ProviderError> {
  const error = await streamError(events);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}
