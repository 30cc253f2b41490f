import { type MockLLM, type Scenario, startMockLLM } from '@oxydra/testkit';
import type { Context, ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, describeFixtureReplay, streamError, TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION, PDF_BASE64 } from './helpers-adapters-context.js';

describeFixtureReplay('OpenAI Responses adapter', 'openai-responses', (server) =>
  createOpenAIResponsesProvider({ name: 'openai', baseURL: server.url, apiKey: TEST_KEY }),
);

describe('OpenAI Responses adapter: requests', () => {
  let server: MockLLM | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(scenario: Scenario) {
    server = await startMockLLM({ api: 'openai-responses', scenario });
    return {
      server,
      provider: createOpenAIResponsesProvider({ name: 'openai', baseURL: server.url, apiKey: TEST_KEY }),
    };
  }

  it('sends instructions, input items, tools and the stream flag', async () => {
    const { server, provider } = await start({ steps: [{ reply: { text: 'done' } }] });
    await collectResponse(provider.stream(CONVERSATION));
    const request = server.requests[0];
    expect(request?.path).toBe('/v1/responses');
    expect(request?.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(request?.body).toMatchObject({
      model: 'test-model',
      stream: true,
      instructions: 'You are terse.\n\nAnswer in one line.',
      tool_choice: 'auto',
      max_output_tokens: 1000,
    });
    expect(request?.body).not.toHaveProperty('previous_response_id');
    expect(request?.body?.input).toEqual([
      { role: 'user', content: 'Read a.txt and b.txt' },
      { role: 'assistant', content: 'Reading both.' },
      { type: 'function_call', call_id: 'call_1', name: 'file_read', arguments: '{"path":"a.txt"}' },
      { type: 'function_call', call_id: 'call_2', name: 'file_read', arguments: '{"path":"b.txt"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'AAA' },
      { type: 'function_call_output', call_id: 'call_2', output: 'no such file' },
      { role: 'user', content: 'Summarise' },
    ]);
    const tools = request?.body?.tools as Record<string, unknown>[];
    expect(tools[0]).toMatchObject({ type: 'function', name: 'file_read', strict: false });
    expect(tools[0]?.parameters).not.toHaveProperty('$schema');
  });

  it('asks for reasoning summaries when reasoning is requested', async () => {
    const { server, provider } = await start({ steps: [{ reply: { text: 'ok' } }] });
    await collectResponse(provider.stream({ ...BASIC_CONTEXT, reasoning: { effort: 'low' } }));
    expect(server.requests[0]?.body?.reasoning).toEqual({ effort: 'low', summary: 'auto' });
  });

  it('replays reasoning items that carry encrypted content, first in the assistant turn', async () => {
    const { server, provider } = await start({ steps: [{ reply: { text: 'ok' } }] });
    await collectResponse(
      provider.stream({
        model: 'test-model',
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: 'a',
            reasoning: [
              { text: 'summary', id: 'rs_1', encrypted: 'blob' },
              { text: 'stored only', id: 'rs_2' },
              { text: 'from another provider', signature: 'sig' },
            ],
          },
          { role: 'user', content: 'q2' },
        ],
      }),
    );
    expect(server.requests[0]?.body?.input).toEqual([
      { role: 'user', content: 'q' },
      {
        type: 'reasoning',
        id: 'rs_1',
        summary: [{ type: 'summary_text', text: 'summary' }],
        encrypted_content: 'blob',
      },
      { role: 'assistant', content: 'a' },
      { role: 'user', content: 'q2' },
    ]);
  });

  it('sends images and PDFs as input items and refuses audio', async () => {
    const { server, provider } = await start({ steps: [{ reply: { text: 'ok' } }] });
    await collectResponse(
      provider.stream({
        model: 'test-model',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'read' },
              { type: 'attachment', mimeType: 'application/pdf', data: PDF_BASE64, name: 'r.pdf' },
            ],
          },
        ],
      }),
    );
    expect(server.requests[0]?.body?.input).toEqual([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'read' },
          { type: 'input_file', filename: 'r.pdf', file_data: `data:application/pdf;base64,${PDF_BASE64}` },
        ],
      },
    ]);
    const error = await streamError(
      provider.stream({
        model: 'test-model',
        messages: [{ role: 'user', content: [{ type: 'attachment', mimeType: 'audio/wav', data: 'AAAA' }] }],
      }),
    );
    expect((error as ProviderError).kind).toBe('bad_request');
    expect(server.requests).toHaveLength(1);
  });
});

describe('OpenAI Responses adapter: previous_response_id chaining', () => {
  let server: MockLLM | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const TOOL_TURN = {
    reasoning: 'need the file',
    toolCalls: [{ id: 'call_x', name: 'file_read', arguments: { path: 'a.txt' } }],
  };

  async function firstTurn() {
    server = await startMockLLM({
      api: 'openai-responses',
      scenario: {
        rejectUnknownPreviousResponseId: true,
        steps: [{ reply: TOOL_TURN }, { reply: { text: 'It says AAA.' }, times: 'always' }],
      },
    });
    const provider = createOpenAIResponsesProvider({ name: 'openai', baseURL: server.url, apiKey: TEST_KEY });
    const first: Context = { model: 'test-model', messages: [{ role: 'user', content: 'read a.txt' }] };
    const answer = await collectResponse(provider.stream(first));
    const next: Context = {
      ...first,
      messages: [
        ...first.messages,
        answer.message,
        { role: 'tool', toolCallId: 'call_x', toolName: 'file_read', content: 'AAA' },
      ],
    };
    return { server, provider, answer, next };
  }

  it('sends only the new items with the previous response id', async () => {
    const { server, provider, answer, next } = await firstTurn();
    expect(answer.message.reasoning?.[0]?.id).toBeDefined();
    const reply = await collectResponse(provider.stream(next));
    expect(reply.message.content).toBe('It says AAA.');
    const second = server.requests[1];
    expect(second?.body?.previous_response_id).toBe('resp_mock_0');
    expect(second?.body?.input).toEqual([{ type: 'function_call_output', call_id: 'call_x', output: 'AAA' }]);
  });

  it('sends the whole conversation when the context does not extend the last one', async () => {
    const { server, provider } = await firstTurn();
    await collectResponse(
      provider.stream({ model: 'test-model', messages: [{ role: 'user', content: 'other' }] }),
    );
    expect(server.requests[1]?.body).not.toHaveProperty('previous_response_id');
    expect(server.requests[1]?.body?.input).toEqual([{ role: 'user', content: 'other' }]);
  });

  it('retries once with the full context when the server lost the previous response', async () => {
    const { server, provider, next } = await firstTurn();
    // The mock forgets the responses it issued, as an expired or unstored response would be.
    server.reset();
    const reply = await collectResponse(provider.stream(next));
    expect(reply.toolCalls).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.body?.previous_response_id).toBe('resp_mock_0');
    const full = server.requests[1]?.body;
    expect(full).not.toHaveProperty('previous_response_id');
    const items = full?.input as Record<string, unknown>[];
    // The reasoning item had no encrypted content, so only the server's stored copy could stand for it.
    expect(items.map((item) => item.type ?? item.role)).toEqual([
      'user',
      'function_call',
      'function_call_output',
    ]);

    // A server that refused once is not asked to chain again.
    const again = await collectResponse(
      provider.stream({ ...next, messages: [...next.messages, reply.message] }),
    );
    expect(again.message).toBeDefined();
    expect(server.requests[2]?.body).not.toHaveProperty('previous_response_id');
  });
});
