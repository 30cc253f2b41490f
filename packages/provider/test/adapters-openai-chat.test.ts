import { type MockLLM, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, bodyList, describeFixtureReplay, streamError, TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION, PDF_BASE64, PNG_BASE64 } from './helpers-adapters-context.js';

describeFixtureReplay('OpenAI Chat adapter', 'openai-chat', (server) =>
  createOpenAIChatProvider({ name: 'openai', baseURL: server.url, apiKey: TEST_KEY }),
);

describe('OpenAI Chat adapter: requests and replies', () => {
  let server: MockLLM | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function run(steps: ScenarioStep[], options: Partial<AdapterOptions> = {}) {
    server = await startMockLLM({ api: 'openai-chat', scenario: steps });
    const provider = createOpenAIChatProvider({
      name: 'local',
      baseURL: server.url,
      apiKey: TEST_KEY,
      ...options,
    });
    return { server, provider };
  }

  it('sends roles, one leading system prompt, tools, tool results and stream options', async () => {
    const { server, provider } = await run([{ reply: { text: 'done' } }]);
    await collectResponse(provider.stream(CONVERSATION));
    const request = server.requests[0];
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(request?.body).toMatchObject({
      model: 'test-model',
      stream: true,
      stream_options: { include_usage: true },
      tool_choice: 'auto',
      max_tokens: 1000,
    });
    expect(request?.body?.messages).toEqual([
      { role: 'system', content: 'You are terse.\n\nAnswer in one line.' },
      { role: 'user', content: 'Read a.txt and b.txt' },
      {
        role: 'assistant',
        content: 'Reading both.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'file_read', arguments: '{"path":"a.txt"}' } },
          { id: 'call_2', type: 'function', function: { name: 'file_read', arguments: '{"path":"b.txt"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'AAA' },
      { role: 'tool', tool_call_id: 'call_2', content: 'no such file' },
      { role: 'user', content: 'Summarise' },
    ]);
    const tools = request?.body?.tools as { type: string; function: { name: string; parameters: object } }[];
    expect(tools).toHaveLength(1);
    expect(tools[0]?.type).toBe('function');
    expect(tools[0]?.function.name).toBe('file_read');
    expect(tools[0]?.function.parameters).not.toHaveProperty('$schema');
    expect(tools[0]?.function.parameters).toMatchObject({ type: 'object', required: ['path'] });
  });

  it('sends no tool fields when there are no tools', async () => {
    const { server, provider } = await run([{ reply: { text: 'hi' } }]);
    await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(server.requests[0]?.body).not.toHaveProperty('tools');
    expect(server.requests[0]?.body).not.toHaveProperty('tool_choice');
  });

  it('sends extra headers and a placeholder key when none is configured', async () => {
    const { server, provider } = await run([{ reply: { text: 'hi' } }], {
      apiKey: undefined,
      extraHeaders: { 'x-title': 'oxydra' },
    });
    await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(server.requests[0]?.headers['x-title']).toBe('oxydra');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer no-api-key');
  });

  it('sends images as data URLs', async () => {
    const { server, provider } = await run([{ reply: { text: 'a pixel' } }]);
    await collectResponse(
      provider.stream({
        model: 'test-model',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'attachment', mimeType: 'image/png', data: PNG_BASE64 },
            ],
          },
        ],
      }),
    );
    expect(server.requests[0]?.body?.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
        ],
      },
    ]);
  });

  it('refuses a PDF with a bad_request naming provider and model, before any request', async () => {
    const { server, provider } = await run([{ reply: { text: 'never' } }]);
    const error = await streamError(
      provider.stream({
        model: 'test-model',
        messages: [
          {
            role: 'user',
            content: [{ type: 'attachment', mimeType: 'application/pdf', data: PDF_BASE64, name: 'r.pdf' }],
          },
        ],
      }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('bad_request');
    expect((error as ProviderError).message).toMatch(/local \(test-model\).*application\/pdf.*r\.pdf/);
    expect(server.requests).toHaveLength(0);
  });

  it('replays plain reasoning as reasoning_content (DeepSeek) and sends reasoning effort', async () => {
    const { server, provider } = await run([{ reply: { text: 'ok' } }]);
    await collectResponse(
      provider.stream({
        model: 'deepseek-v4-flash',
        reasoning: { effort: 'high' },
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: '',
            reasoning: [{ text: 'I should call the tool.' }, { text: 'signed', signature: 'sig' }],
            toolCalls: [{ id: 'c1', name: 'weather', arguments: {} }],
          },
          { role: 'tool', toolCallId: 'c1', toolName: 'weather', content: 'sunny' },
        ],
      }),
    );
    const body = server.requests[0]?.body;
    expect(body?.reasoning_effort).toBe('high');
    expect(bodyList(server, 0, 'messages')[1]).toMatchObject({
      role: 'assistant',
      reasoning_content: 'I should call the tool.',
    });
  });

  it('uses max_completion_tokens for api.openai.com', async () => {
    let body: Record<string, unknown> | undefined;
    const provider = createOpenAIChatProvider({
      name: 'openai',
      baseURL: 'https://api.openai.com/v1',
      apiKey: TEST_KEY,
      fetch: async (_url, init) => {
        body = JSON.parse(String(init?.body)) as Record<string, unknown>;
        return new Response(
          JSON.stringify({ error: { message: 'stop here', type: 'invalid_request_error' } }),
          {
            status: 400,
            headers: { 'content-type': 'application/json' },
          },
        );
      },
    });
    await streamError(provider.stream({ ...BASIC_CONTEXT, maxOutputTokens: 50 }));
    expect(body?.max_completion_tokens).toBe(50);
    expect(body).not.toHaveProperty('max_tokens');
  });
});
