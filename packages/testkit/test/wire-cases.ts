/**
 * What the testkit's own tests know of each mock wire, one row per `MockApi`: how a client calls
 * it, where its text is in a stream, and its error envelopes. Written from the services' documents
 * and recordings, not from the server's code. A new wire is one compile error here (the missing
 * row), and every test that loops over `MOCK_APIS` then covers it.
 */
import type { MockApi } from '@oxydra/testkit';
import { expect } from 'vitest';
import type { Loose } from './helpers.js';

export interface WireCase {
  /** The endpoint path relative to `mock.url`, as the SDK builds it. */
  endpoint(stream: boolean, model: string | undefined): string;
  /** A minimal request body with one user message. */
  requestBody(text: string, stream: boolean): Record<string, unknown>;
  /** The text deltas among a stream's JSON payloads, joined. */
  streamedText(payloads: Loose[]): string;
  /**
   * A streaming request whose last message is the result `ERROR: city missing` of tool `w`
   * (call id `c1`), which the model called after the user asked `weather?`.
   */
  toolRound: Record<string, unknown>;
  /** Checks the body of `{ status: 429, retryAfter: 3 }`: the service's rate-limit envelope. */
  expectRateLimited(body: Loose): void;
  /** Checks the body of `{ status: 400, contextOverflow: true }`, message included. */
  expectContextOverflow(body: Loose): void;
  /** Other statuses: each, the part of its envelope that says its kind, and what it says. */
  statusKinds: Array<[status: number, pick: (body: Loose) => unknown, kind: string]>;
  /**
   * Its recorded files in shared/fixtures/providers, if it has any: the folder, and a file's
   * lines framed as the fixtures README says (`eol` by default).
   */
  fixtures?: { folder: string; eol: '\n' | '\r\n'; frame(lines: string[], eol: string): string };
}

/** `event: <type>` then the line, for the APIs that name each event by its payload's type. */
const typedFrames = (lines: string[]): string =>
  lines.map((l) => `event: ${JSON.parse(l).type}\ndata: ${l}\n\n`).join('');

export const WIRE_CASES: Record<MockApi, WireCase> = {
  'openai-chat': {
    endpoint: () => '/chat/completions',
    requestBody: (text, stream) => ({
      model: 'gpt-test',
      stream,
      messages: [{ role: 'user', content: text }],
    }),
    streamedText: (payloads) => payloads.map((p) => p.choices?.[0]?.delta?.content ?? '').join(''),
    toolRound: {
      model: 'm',
      stream: true,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'ERROR: city missing' },
      ],
    },
    expectRateLimited: (b) =>
      expect(b.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null }),
    expectContextOverflow: (b) => {
      expect(b.error.code).toBe('context_length_exceeded');
      expect(b.error.message).toMatch(/^This model's maximum context length is \d+ tokens/);
    },
    statusKinds: [
      [500, (b) => b.error.type, 'server_error'],
      [503, (b) => b.error.type, 'server_error'],
      [401, (b) => b.error.code, 'invalid_api_key'],
    ],
    fixtures: {
      folder: 'openai-chat',
      eol: '\n',
      frame: (lines) => `${lines.map((l) => `data: ${l}\n\n`).join('')}data: [DONE]\n\n`,
    },
  },
  'openai-responses': {
    endpoint: () => '/responses',
    requestBody: (text, stream) => ({ model: 'gpt-test', stream, input: [{ role: 'user', content: text }] }),
    streamedText: (payloads) =>
      payloads
        .filter((p) => p.type === 'response.output_text.delta')
        .map((p) => p.delta)
        .join(''),
    toolRound: {
      model: 'm',
      stream: true,
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'weather?' }] },
        { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'ERROR: city missing' },
      ],
    },
    expectRateLimited: (b) => expect(b.error).toMatchObject({ code: 'rate_limit_exceeded' }),
    expectContextOverflow: (b) => {
      expect(b.error.code).toBe('context_length_exceeded');
      expect(b.error.message).toMatch(/exceeds the context window/);
    },
    statusKinds: [[401, (b) => b.error.code, 'invalid_api_key']],
    fixtures: { folder: 'openai-responses', eol: '\n', frame: typedFrames },
  },
  anthropic: {
    endpoint: () => '/v1/messages',
    requestBody: (text, stream) => ({
      model: 'claude-test',
      max_tokens: 100,
      stream,
      messages: [{ role: 'user', content: text }],
    }),
    streamedText: (payloads) =>
      payloads
        .filter((p) => p.type === 'content_block_delta' && p.delta.type === 'text_delta')
        .map((p) => p.delta.text)
        .join(''),
    toolRound: {
      model: 'm',
      max_tokens: 10,
      stream: true,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'w', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'c1',
              content: [{ type: 'text', text: 'ERROR: city missing' }],
            },
          ],
        },
      ],
    },
    expectRateLimited: (b) =>
      expect(b).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', message: expect.any(String) },
      }),
    expectContextOverflow: (b) => {
      expect(b.error.type).toBe('invalid_request_error');
      expect(b.error.message).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/);
    },
    statusKinds: [
      [529, (b) => b.error.type, 'overloaded_error'],
      [500, (b) => b.error.type, 'api_error'],
      [401, (b) => b.error.type, 'authentication_error'],
    ],
    fixtures: { folder: 'anthropic-messages', eol: '\n', frame: typedFrames },
  },
  gemini: {
    endpoint: (stream, model = 'gemini-2.5-flash') =>
      `/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    requestBody: (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] }),
    streamedText: (payloads) =>
      payloads
        .flatMap((p) => p.candidates?.[0]?.content?.parts ?? [])
        .filter((part: Loose) => !part.thought && typeof part.text === 'string')
        .map((part: Loose) => part.text)
        .join(''),
    toolRound: {
      contents: [
        { role: 'user', parts: [{ text: 'weather?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'w', args: {} } }] },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'w', response: { error: 'ERROR: city missing' } } }],
        },
      ],
    },
    expectRateLimited: (b) =>
      expect(b.error).toMatchObject({
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
      }),
    expectContextOverflow: (b) => {
      expect(b.error.status).toBe('INVALID_ARGUMENT');
      expect(b.error.message).toMatch(
        /^The input token count \(\d+\) exceeds the maximum number of tokens allowed \(\d+\)/,
      );
    },
    statusKinds: [
      [503, (b) => b.error.status, 'UNAVAILABLE'],
      [500, (b) => b.error.status, 'INTERNAL'],
      [401, (b) => b.error.status, 'UNAUTHENTICATED'],
    ],
    fixtures: {
      folder: 'gemini',
      eol: '\r\n',
      frame: (lines, eol) => lines.map((l) => `data: ${l}${eol}${eol}`).join(''),
    },
  },
};
