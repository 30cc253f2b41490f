// A request body's tool list stringified once per tool (shared/request.ts toolsJsonOnce and
// stringifyWith): the bytes sent stay JSON.stringify's, the schemas are not serialized again.
import { startMockLLM } from '@oxydra/testkit';
import type { Context, ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { chatRequest, createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { JSON_MARK, stringifyWith } from '../src/shared/request.js';
import { collectResponse } from '../src/shared/stream.js';
import { TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION } from './helpers-adapters-context.js';

describe('stringifyWith', () => {
  it("gives JSON.stringify's bytes, whatever the other values hold", () => {
    // Strings that spell the mark, the key and the mark together, and backslashes before them.
    const tricky = [JSON_MARK, `"tools":"${JSON_MARK}"`, `\\"tools\\":\\"\\u0000oxydra:json\\"`, '\\'];
    const tools = [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }];
    const body = (list: unknown) => ({
      model: 'm',
      messages: tricky.map((content) => ({ role: 'user', content, tools: content })),
      tools: list,
      tool_choice: 'auto',
      max_tokens: 5,
    });
    expect(stringifyWith(body(JSON_MARK), 'tools', JSON.stringify(tools))).toBe(JSON.stringify(body(tools)));
  });

  it('refuses a body without the mark (nothing is sent without its tools)', () => {
    expect(() => stringifyWith({ tools: [] }, 'tools', '[]')).toThrow(/no tools set to JSON_MARK/);
  });
});

describe('OpenAI Chat request body', () => {
  it('sends what JSON.stringify(chatRequest) gives, and serializes a tool once across requests', async () => {
    let serialized = 0;
    // toJSON survives the schema conversion's copies: it counts each time the schema is written.
    const path = {
      type: 'string',
      toJSON() {
        serialized += 1;
        return { type: 'string' };
      },
    };
    const tool: ToolSpec = {
      name: 'file_read',
      description: 'Read a file.',
      parameters: { type: 'object', properties: { path }, required: ['path'] },
      safety: 'read_only',
    };
    const context: Context = { ...CONVERSATION, tools: [tool, ...(CONVERSATION.tools ?? [])] };
    const server = await startMockLLM({
      api: 'openai-chat',
      scenario: [{ reply: { text: 'done' }, times: 'always' }],
    });
    try {
      const provider = createOpenAIChatProvider({ name: 'local', baseURL: server.url, apiKey: TEST_KEY });
      await collectResponse(provider.stream(context));
      await collectResponse(provider.stream(context));
      expect(serialized).toBe(1);
      const expected = JSON.stringify(chatRequest(context, { provider: 'local', baseURL: server.url }));
      expect(server.requests.map((request) => request.raw)).toEqual([expected, expected]);
    } finally {
      await server.close();
    }
  });
});
