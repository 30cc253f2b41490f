// A request body's tool list stringified once per tool (shared/request.ts toolsJsonOnce and
// stringifyWith): the bytes sent stay JSON.stringify's, the schemas are not serialized again.
import { startMockLLM } from '@oxydra/testkit';
import type { Context, ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { chatRequest, createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { responsesInput, responsesRequest } from '../src/adapters/openai-responses/request.js';
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

/** A tool whose schema counts each time it is written as JSON (toJSON survives the conversion's copies). */
function countedTool(): { tool: ToolSpec; written: () => number } {
  let written = 0;
  const path = {
    type: 'string',
    toJSON() {
      written += 1;
      return { type: 'string' };
    },
  };
  const tool: ToolSpec = {
    name: 'file_read',
    description: 'Read a file.',
    parameters: { type: 'object', properties: { path }, required: ['path'] },
    safety: 'read_only',
  };
  return { tool, written: () => written };
}

const ADAPTERS = [
  {
    api: 'openai-chat' as const,
    create: createOpenAIChatProvider,
    expected: (context: Context, url: string) =>
      JSON.stringify(chatRequest(context, { provider: 'local', baseURL: url })),
  },
  {
    api: 'openai-responses' as const,
    create: createOpenAIResponsesProvider,
    expected: (context: Context) => {
      const { instructions, items } = responsesInput(context, 'local');
      return JSON.stringify(responsesRequest(context, items, instructions, undefined));
    },
  },
];

describe.each(ADAPTERS)('$api request body', ({ api, create, expected }) => {
  it('is what JSON.stringify of the request gives, each tool schema written once across requests', async () => {
    const { tool, written } = countedTool();
    const context: Context = { ...CONVERSATION, tools: [tool, ...(CONVERSATION.tools ?? [])] };
    const server = await startMockLLM({ api, scenario: [{ reply: { text: 'done' }, times: 'always' }] });
    try {
      const provider = create({ name: 'local', baseURL: server.url, apiKey: TEST_KEY });
      await collectResponse(provider.stream(context));
      await collectResponse(provider.stream(context));
      expect(written()).toBe(1);
      expect(server.requests[0]?.raw).toBe(expected(context, server.url));
    } finally {
      await server.close();
    }
  });
});
