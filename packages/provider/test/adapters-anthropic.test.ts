import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import type { ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../src/adapters/anthropic/provider.js';
import type { AdapterOptions } from '../src/adapters/define.js';
import { collectResponse } from '../src/shared/stream.js';
import { BASIC_CONTEXT, bodyList, describeFixtureReplay, streamError, TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION, PDF_BASE64, PNG_BASE64 } from './helpers-adapters-context.js';

describeFixtureReplay('Anthropic adapter', 'anthropic-messages', (server) =>
  createAnthropicProvider({ name: 'anthropic', baseURL: server.url, apiKey: TEST_KEY }),
);

describe('Anthropic adapter: requests', () => {
  let server: MockLLM | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(options: Partial<AdapterOptions> = {}) {
    server = await startMockLLM({ api: 'anthropic', scenario: [{ reply: { text: 'ok' }, times: 'always' }] });
    return {
      server,
      provider: createAnthropicProvider({
        name: 'claude',
        baseURL: server.url,
        apiKey: TEST_KEY,
        ...options,
      }),
    };
  }

  it('sends a top-level system prompt, tool_use blocks and merged tool results', async () => {
    const { server, provider } = await start();
    await collectResponse(provider.stream(CONVERSATION));
    const request = server.requests[0];
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe(TEST_KEY);
    expect(request?.headers['anthropic-version']).toBeDefined();
    expect(request?.body).toMatchObject({
      model: 'test-model',
      stream: true,
      max_tokens: 1000,
      system: 'You are terse.\n\nAnswer in one line.',
      tool_choice: { type: 'auto' },
    });
    expect(request?.body?.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Read a.txt and b.txt' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading both.' },
          { type: 'tool_use', id: 'call_1', name: 'file_read', input: { path: 'a.txt' } },
          { type: 'tool_use', id: 'call_2', name: 'file_read', input: { path: 'b.txt' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'AAA' },
          { type: 'tool_result', tool_use_id: 'call_2', content: 'no such file', is_error: true },
          { type: 'text', text: 'Summarise' },
        ],
      },
    ]);
    const tools = request?.body?.tools as Record<string, unknown>[];
    expect(tools[0]).toMatchObject({ name: 'file_read', description: 'Read a file' });
    expect(tools[0]?.input_schema).toMatchObject({ type: 'object', required: ['path'] });
    expect(tools[0]?.input_schema).not.toHaveProperty('$schema');
  });

  it('defaults max_tokens and accepts a base URL ending in /v1', async () => {
    const { server } = await start();
    const provider = createAnthropicProvider({
      name: 'claude',
      baseURL: `${server.url}/v1/`,
      apiKey: TEST_KEY,
    });
    await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(server.requests[0]?.path).toBe('/v1/messages');
    expect(server.requests[0]?.body?.max_tokens).toBe(8192);
    expect(server.requests[0]?.body).not.toHaveProperty('system');
  });

  it('replays signed and redacted thinking first, drops unsigned reasoning', async () => {
    const { server, provider } = await start();
    await collectResponse(
      provider.stream({
        model: 'test-model',
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: 'a',
            reasoning: [
              { text: 'step one', signature: 'sig-1' },
              { text: '', encrypted: 'blob' },
              { text: 'from a chat server' },
            ],
          },
          { role: 'user', content: 'q2' },
        ],
      }),
    );
    expect(bodyList(server, 0, 'messages')[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'step one', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'blob' },
        { type: 'text', text: 'a' },
      ],
    });
  });

  it('enables thinking with a budget below max_tokens', async () => {
    const { server, provider } = await start();
    await collectResponse(
      provider.stream({ ...BASIC_CONTEXT, maxOutputTokens: 2000, reasoning: { budgetTokens: 4096 } }),
    );
    const body = server.requests[0]?.body;
    expect(body?.thinking).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(body?.max_tokens as number).toBeGreaterThan(4096);
  });

  it('streams thinking with its signature into a replayable reasoning block', async () => {
    server = await startMockLLM({
      api: 'anthropic',
      scenario: [{ reply: { text: '42', reasoning: 'compute', reasoningSignature: 'sig-x' } }],
    });
    const provider = createAnthropicProvider({ name: 'claude', baseURL: server.url, apiKey: TEST_KEY });
    const response = await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(response.message.reasoning).toEqual([{ text: 'compute', signature: 'sig-x' }]);
  });

  it('sends images, PDFs and plain text as blocks and refuses other files', async () => {
    const { server, provider } = await start();
    await collectResponse(
      provider.stream({
        model: 'test-model',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'attachment', mimeType: 'image/png', data: PNG_BASE64 },
              { type: 'attachment', mimeType: 'application/pdf', data: PDF_BASE64 },
              {
                type: 'attachment',
                mimeType: 'text/plain',
                data: Buffer.from('notes').toString('base64'),
                name: 'n.txt',
              },
            ],
          },
        ],
      }),
    );
    expect(bodyList(server, 0, 'messages')[0]?.content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF_BASE64 } },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' }, title: 'n.txt' },
    ]);
    const error = await streamError(
      provider.stream({
        model: 'test-model',
        messages: [{ role: 'user', content: [{ type: 'attachment', mimeType: 'video/mp4', data: 'AAAA' }] }],
      }),
    );
    expect((error as ProviderError).kind).toBe('bad_request');
    expect((error as ProviderError).message).toContain('claude (test-model)');
  });

  it('sends extra headers', async () => {
    const { server, provider } = await start({ extraHeaders: { 'anthropic-beta': 'test-beta' } });
    await collectResponse(provider.stream(BASIC_CONTEXT));
    expect(server.requests[0]?.headers['anthropic-beta']).toBe('test-beta');
  });
});
