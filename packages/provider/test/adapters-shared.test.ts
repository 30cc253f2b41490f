/** The helpers every adapter shares: tool-call assembly, collection, errors, schemas, the guard. */
import { Cancelled, type ModelEvent, ProviderError, type ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { anthropicRequest } from '../src/adapters/anthropic/request.js';
import { geminiRequest } from '../src/adapters/gemini/request.js';
import { chatRequest } from '../src/adapters/openai-chat/provider.js';
import { responsesRequest } from '../src/adapters/openai-responses/request.js';
import { classifyKind, InStreamError, providerErrorFromFacts } from '../src/shared/errors.js';
import { parseToolArguments, ToolCallAssembler } from '../src/shared/events.js';
import { redactSecrets } from '../src/shared/redact.js';
import {
  argumentsText,
  asObjectSchema,
  convertedOnce,
  mergeSameRole,
  splitSystem,
  withoutKeywords,
} from '../src/shared/request.js';
import { parseDurationMs, retryAfterFromHeaders } from '../src/shared/retry-after.js';
import { collectResponse, guardStream } from '../src/shared/stream.js';
import { collectEvents } from './helpers-adapters.js';

async function* fromArray(events: ModelEvent[]): AsyncGenerator<ModelEvent> {
  yield* events;
}

describe('ToolCallAssembler', () => {
  it('emits start, deltas and end with parsed arguments', () => {
    const tools = new ToolCallAssembler();
    const events = [
      ...tools.update(0, { id: 'call_a', name: 'read', argumentsDelta: '{"pa' }),
      ...tools.update(0, { argumentsDelta: 'th":"x"}' }),
      ...tools.end(0),
    ];
    expect(events).toEqual([
      { type: 'tool_call_start', index: 0, id: 'call_a', name: 'read' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{"pa' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: 'th":"x"}' },
      {
        type: 'tool_call_end',
        index: 0,
        id: 'call_a',
        name: 'read',
        arguments: { path: 'x' },
        rawArguments: '{"path":"x"}',
      },
    ]);
  });

  it('holds argument text until the name arrives', () => {
    const tools = new ToolCallAssembler();
    expect(tools.update(0, { argumentsDelta: '{}' })).toEqual([]);
    expect(tools.update(0, { id: 'c', name: 'n' })).toEqual([
      { type: 'tool_call_start', index: 0, id: 'c', name: 'n' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{}' },
    ]);
  });

  it('synthesises ids for APIs without them and reports invalid JSON', () => {
    const tools = new ToolCallAssembler();
    const events = [...tools.update(2, { name: 'shell', argumentsDelta: '{"cmd": ' }), ...tools.endAll()];
    const end = events.at(-1);
    expect(events[0]).toMatchObject({ type: 'tool_call_start', id: 'call_2_shell' });
    expect(end).toMatchObject({ type: 'tool_call_end', arguments: {}, rawArguments: '{"cmd": ' });
    expect(end?.type === 'tool_call_end' && end.parseError).toMatch(/not valid JSON/);
  });

  it('ends a call once only', () => {
    const tools = new ToolCallAssembler();
    tools.update(0, { id: 'a', name: 'x' });
    expect(tools.end(0)).toHaveLength(1);
    expect(tools.end(0)).toEqual([]);
    expect(tools.endAll()).toEqual([]);
  });
});

describe('parseToolArguments', () => {
  it('treats empty text as no arguments', () => {
    expect(parseToolArguments('')).toEqual({ arguments: {} });
    expect(parseToolArguments('  ')).toEqual({ arguments: {} });
  });

  it('rejects JSON that is not an object', () => {
    expect(parseToolArguments('[1]')).toEqual({
      arguments: {},
      parseError: 'tool arguments must be a JSON object',
    });
  });
});

describe('collectResponse', () => {
  it('assembles text, tool calls, reasoning blocks, usage and finish', async () => {
    const response = await collectResponse(
      fromArray([
        { type: 'reasoning_delta', text: 'think ' },
        { type: 'reasoning_delta', text: 'more' },
        { type: 'reasoning_delta', text: '', signature: 'sig-1' },
        { type: 'text_delta', text: 'Hello' },
        { type: 'reasoning_delta', text: '', signature: 'sig-2' },
        { type: 'tool_call_start', index: 0, id: 'c1', name: 'f' },
        {
          type: 'tool_call_end',
          index: 0,
          id: 'c1',
          name: 'f',
          arguments: { a: 1 },
          rawArguments: '{"a":1}',
          metadata: { thoughtSignature: 't' },
        },
        { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
        { type: 'finish', reason: 'tool_calls', rawReason: 'tool_use', details: { x: 1 } },
      ]),
    );
    expect(response.message).toEqual({
      role: 'assistant',
      content: 'Hello',
      toolCalls: [
        {
          id: 'c1',
          name: 'f',
          arguments: { a: 1 },
          rawArguments: '{"a":1}',
          metadata: { thoughtSignature: 't' },
        },
      ],
      reasoning: [
        { text: 'think more', signature: 'sig-1' },
        { text: '', signature: 'sig-2' },
      ],
    });
    expect(response.toolCalls).toEqual(response.message.toolCalls);
    expect(response.finishReason).toBe('tool_calls');
    expect(response.rawFinishReason).toBe('tool_use');
    expect(response.finishDetails).toEqual({ x: 1 });
    expect(response.usage).toEqual({ inputTokens: 3, outputTokens: 4 });
  });

  it('starts a new reasoning block after other output', async () => {
    const response = await collectResponse(
      fromArray([
        { type: 'reasoning_delta', text: 'a' },
        { type: 'text_delta', text: 'x' },
        { type: 'reasoning_delta', text: 'b' },
        { type: 'finish', reason: 'stop' },
      ]),
    );
    expect(response.message.reasoning).toEqual([{ text: 'a' }, { text: 'b' }]);
    expect(response.message.toolCalls).toBeUndefined();
  });
});

describe('error classification', () => {
  const scope = { provider: 'acme', model: 'm1', apiKey: 'sk-live-secret-value-123' };

  it.each([
    [{ status: 401, message: 'bad key' }, 'auth'],
    [{ status: 403, message: 'forbidden' }, 'auth'],
    [{ status: 429, message: 'slow down' }, 'rate_limited'],
    [{ status: 429, message: 'Request too large: too many tokens per min' }, 'rate_limited'],
    [{ status: 503, message: 'unavailable' }, 'overloaded'],
    [{ status: 529, message: 'Overloaded' }, 'overloaded'],
    [{ status: 500, message: 'oops' }, 'overloaded'],
    [{ status: 502, message: 'bad gateway' }, 'transport'],
    [{ status: 400, message: 'prompt is too long: 208310 tokens > 200000 maximum' }, 'context_overflow'],
    [{ status: 400, code: 'context_length_exceeded', message: 'x' }, 'context_overflow'],
    [
      {
        status: 400,
        message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
      },
      'context_overflow',
    ],
    [{ status: 400, message: 'Unsupported parameter' }, 'bad_request'],
    [{ status: 404, message: 'no model' }, 'bad_request'],
    [{ status: 422, message: 'unprocessable' }, 'bad_request'],
    [{ status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' }, 'auth'],
    [{ code: 'rate_limit_exceeded', message: 'in stream' }, 'rate_limited'],
    [{ type: 'overloaded_error', message: 'Overloaded' }, 'overloaded'],
    [{ code: 'UNAVAILABLE', message: 'busy' }, 'overloaded'],
    // Our own refusal of an oversized 2xx JSON answer, in-stream (no status): not retried.
    [{ code: 'answer_too_large', message: 'sent a chat completion over 32 MiB' }, 'bad_request'],
    [{ message: 'socket hang up', transport: true }, 'transport'],
    [{ message: 'something odd' }, 'transport'],
  ] as const)('%j → %s', (facts, kind) => {
    expect(classifyKind(facts)).toBe(kind);
  });

  // The key refused (by its status, or by a code that says so where the status does not: Gemini's
  // 400 API_KEY_INVALID) against the account out of credit: each hint points at its own fix.
  const KEY_HINT = 'check the API key configured for provider "acme"';
  const BILLING_HINT = 'check the plan, credit and billing of the account behind provider "acme"';
  it.each([
    [{ status: 401, message: 'no' }, KEY_HINT, 'acme (m1): authentication failed (HTTP 401): no'],
    [{ status: 403, message: 'no' }, KEY_HINT, 'acme (m1): authentication failed (HTTP 403): no'],
    [
      { status: 400, code: 'API_KEY_INVALID', message: 'API key not valid.' },
      KEY_HINT,
      'acme (m1): authentication failed (HTTP 400): API key not valid.',
    ],
    [
      { code: 'invalid_api_key', message: 'in stream' },
      KEY_HINT,
      'acme (m1): authentication failed: in stream',
    ],
    [
      { status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' },
      BILLING_HINT,
      'acme (m1): You exceeded your current quota (HTTP 429)',
    ],
    [{ status: 402, message: 'pay up' }, BILLING_HINT, 'acme (m1): pay up (HTTP 402)'],
  ] as const)('auth %j: hint and message', (facts, hint, message) => {
    const error = providerErrorFromFacts(facts, scope);
    expect(error.kind).toBe('auth');
    expect(error.hint).toBe(hint);
    expect(error.message).toBe(message);
  });

  it('names provider and model, redacts the key, carries status and retry-after', () => {
    const error = providerErrorFromFacts(
      {
        status: 429,
        message: 'limit for key sk-live-secret-value-123',
        headers: new Headers({ 'retry-after': '2' }),
      },
      scope,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toBe('acme (m1): limit for key [redacted] (HTTP 429)');
    expect(error.retryAfterMs).toBe(2000);
    expect(error.status).toBe(429);
    expect(error.model).toBe('m1');
  });

  it('uses the body retry delay when no header gives one', () => {
    const error = providerErrorFromFacts({ status: 429, message: 'quota', retryAfterMs: 37_000 }, scope);
    expect(error.retryAfterMs).toBe(37_000);
  });
});

describe('retry-after parsing', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), now)).toBe(
      10_000,
    );
    expect(retryAfterFromHeaders({ 'Retry-After': '4' }, now)).toBe(4000);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterFromHeaders(undefined, now)).toBeUndefined();
  });

  it('reads Google durations', () => {
    expect(parseDurationMs('37s')).toBe(37_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('later')).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  it('removes key-like strings and the configured key', () => {
    expect(redactSecrets('Incorrect API key provided: sk-abc123***xyz9')).toBe(
      'Incorrect API key provided: [redacted]',
    );
    expect(redactSecrets('key my-custom-secret-token!', ['my-custom-secret-token'])).toBe('key [redacted]!');
    expect(redactSecrets('Authorization: Bearer abcdef123456')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets(`bad key ${'AIza'}SyA-0123456789abcdefghijklmnop`)).toBe('bad key [redacted]');
    expect(redactSecrets('skeleton sessions.create skipped')).toBe('skeleton sessions.create skipped');
  });

  it('knows the key shapes config show masks (one list, @oxydra/types): GitHub, Slack, GitLab, AWS', () => {
    const text =
      'echoed ghp_abcdefghij0123456789, xoxb-1234567890-abcdef, glpat-abcdefghij0123, AKIAIOSFODNN7EXAMPLE.';
    expect(redactSecrets(text)).toBe('echoed [redacted], [redacted], [redacted], [redacted].');
    expect(redactSecrets('the ghost of ghp and AKIA')).toBe('the ghost of ghp and AKIA');
  });
});

describe('schemas and messages', () => {
  it('strips keywords at every level but never property names', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        $schema: { type: 'string' },
        nested: { type: 'object', $schema: 'x', properties: { a: { type: 'string' } } },
        list: { type: 'array', items: { $schema: 'x', type: 'number' } },
      },
    };
    expect(withoutKeywords(schema, ['$schema'])).toEqual({
      type: 'object',
      properties: {
        $schema: { type: 'string' },
        nested: { type: 'object', properties: { a: { type: 'string' } } },
        list: { type: 'array', items: { type: 'number' } },
      },
    });
  });

  it('makes every parameter schema an object', () => {
    expect(asObjectSchema({})).toEqual({ type: 'object', properties: {} });
  });

  it('converts a tool spec once per API, whatever the number of requests', () => {
    let calls = 0;
    const convert = convertedOnce((tool) => {
      calls += 1;
      return { name: tool.name };
    });
    const spec: ToolSpec = { name: 't', description: 'd', parameters: {}, safety: 'read_only' };
    expect(convert(spec)).toBe(convert(spec));
    expect(calls).toBe(1);
    // Another spec object (another registry's) is converted on its own, even with the same name.
    expect(convert({ ...spec })).not.toBe(convert(spec));
    expect(calls).toBe(2);
  });

  it("each adapter's requests share one conversion of a tool and still send the same schema", () => {
    const tool: ToolSpec = {
      name: 'file_read',
      description: 'Read a file.',
      parameters: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { path: { type: 'string' } },
        required: ['path'],
        additionalProperties: false,
      },
      safety: 'read_only',
    };
    const context = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], tools: [tool] };
    const chat = () => chatRequest(context, { provider: 'p', baseURL: 'http://localhost' }).tools?.[0];
    expect(chat()).toBe(chat());
    expect(chat()).toEqual({
      type: 'function',
      function: {
        name: 'file_read',
        description: 'Read a file.',
        parameters: {
          type: 'object',
          properties: { path: { type: 'string' } },
          required: ['path'],
          additionalProperties: false,
        },
      },
    });
    const responses = () => responsesRequest(context, [], undefined, undefined).tools?.[0];
    expect(responses()).toBe(responses());
    expect(responses()).toMatchObject({ type: 'function', name: 'file_read', strict: false });
    const anthropic = () => anthropicRequest(context, 'p').tools?.[0];
    expect(anthropic()).toBe(anthropic());
    expect(anthropic()).toMatchObject({ name: 'file_read', input_schema: { required: ['path'] } });
    const gemini = () => geminiRequest(context).tools?.[0]?.functionDeclarations[0];
    expect(gemini()).toBe(gemini());
    expect(gemini()?.parameters).toEqual({
      type: 'OBJECT',
      properties: { path: { type: 'STRING' } },
      required: ['path'],
    });
  });

  it('joins system messages from anywhere and keeps the rest in order', () => {
    const { system, messages } = splitSystem([
      { role: 'system', content: 'one' },
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'two' },
    ]);
    expect(system).toBe('one\n\ntwo');
    expect(messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('merges neighbours with the same role', () => {
    const merged = mergeSameRole(
      [
        { role: 'user', n: [1] },
        { role: 'user', n: [2] },
        { role: 'model', n: [3] },
      ],
      (a, b) => ({ role: a.role, n: [...a.n, ...b.n] }),
    );
    expect(merged).toEqual([
      { role: 'user', n: [1, 2] },
      { role: 'model', n: [3] },
    ]);
  });

  it('replays argument text verbatim only when it is valid', () => {
    expect(argumentsText({ id: 'a', name: 'f', arguments: { x: 1 }, rawArguments: '{ "x": 1 }' })).toBe(
      '{ "x": 1 }',
    );
    expect(argumentsText({ id: 'a', name: 'f', arguments: {}, rawArguments: '{"x":' })).toBe('{}');
  });
});

describe('guardStream', () => {
  const describeNothing = () => undefined;

  it('marks errors after text output as partial', async () => {
    async function* source(): AsyncGenerator<ModelEvent> {
      yield { type: 'text_delta', text: 'hi' };
      throw new InStreamError('cut', { transport: true });
    }
    const events: ModelEvent[] = [];
    const error = await (async () => {
      try {
        for await (const event of guardStream({ provider: 'p', describe: describeNothing }, source))
          events.push(event);
      } catch (caught) {
        return caught;
      }
    })();
    expect(events).toHaveLength(1);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).partialOutput).toBe(true);
    expect((error as ProviderError).kind).toBe('transport');
  });

  it('does not mark reasoning-only output as partial', async () => {
    async function* source(): AsyncGenerator<ModelEvent> {
      yield { type: 'reasoning_delta', text: 'hmm' };
      throw new InStreamError('cut', { transport: true });
    }
    const error = await collectEvents(
      guardStream({ provider: 'p', describe: describeNothing }, source),
    ).catch((caught: unknown) => caught);
    expect((error as ProviderError).partialOutput).toBe(false);
  });

  it('ends a source that never yields once the signal aborts, and aborts the source', async () => {
    const controller = new AbortController();
    let sourceSignal: AbortSignal | undefined;
    async function* source(signal: AbortSignal): AsyncGenerator<ModelEvent> {
      sourceSignal = signal;
      yield { type: 'text_delta', text: 'first' };
      await new Promise(() => {}); // a network read that never completes
    }
    const stream = guardStream(
      { provider: 'p', signal: controller.signal, describe: describeNothing },
      source,
    );
    const first = await stream.next();
    expect(first.value).toEqual({ type: 'text_delta', text: 'first' });
    const second = stream.next();
    controller.abort();
    await expect(second).rejects.toBeInstanceOf(Cancelled);
    expect(sourceSignal?.aborted).toBe(true);
  });

  it('turns a quiet end after abort into Cancelled', async () => {
    const controller = new AbortController();
    async function* source(): AsyncGenerator<ModelEvent> {
      controller.abort();
      // The SDKs return normally when their request is aborted.
      yield* [];
    }
    const error = await collectEvents(
      guardStream({ provider: 'p', signal: controller.signal, describe: describeNothing }, source),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Cancelled);
  });
});
