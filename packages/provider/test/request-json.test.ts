// A request body's tool list stringified once per tool (shared/request.ts toolsJsonOnce and
// stringifyWith): the bytes sent stay JSON.stringify's, the schemas are not serialized again.
import { startMockLLM } from '@oxydra/testkit';
import type { Context, Message, ToolSpec } from '@oxydra/types';
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
    expect(stringifyWith(body(JSON_MARK), ['tools', JSON.stringify(tools)])).toBe(
      JSON.stringify(body(tools)),
    );
  });

  it('splices several values, each where its own mark is, whatever the spliced text holds', () => {
    const tricky = [JSON_MARK, `"tools":"${JSON_MARK}"`, `"messages":"${JSON_MARK}"`, '\\'];
    const messages = tricky.map((content) => ({ role: 'user', content, tools: content }));
    const tools = [{ type: 'function', function: { name: `"messages":"${JSON_MARK}"`, parameters: {} } }];
    const body = (list: unknown, sent: unknown) => ({
      model: 'm',
      messages: sent,
      tools: list,
      tool_choice: 'auto',
    });
    expect(
      stringifyWith(
        body(JSON_MARK, JSON_MARK),
        ['tools', JSON.stringify(tools)],
        ['messages', JSON.stringify(messages)],
      ),
    ).toBe(JSON.stringify(body(tools, messages)));
  });

  it('refuses a body without the mark (nothing is sent without its tools)', () => {
    expect(() => stringifyWith({ tools: [] }, ['tools', '[]'])).toThrow(/no tools set to JSON_MARK/);
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

describe('openai-chat request body, call after call of one session', () => {
  it("serialises only the messages new since the last call, and sends JSON.stringify's bytes", async () => {
    // Each assistant message's tool call counts how often it is written as JSON.
    let written = 0;
    const exchange = (i: number): Message[] => [
      { role: 'user', content: `read file ${i}` },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          {
            id: `call_${i}`,
            name: 'file_read',
            arguments: {
              toJSON() {
                written += 1;
                return { path: `f${i}.txt` };
              },
            },
          },
        ],
      },
      { role: 'tool', toolCallId: `call_${i}`, toolName: 'file_read', content: `contents ${i} "quoted" \\` },
      { role: 'assistant', content: `file ${i} read` },
    ];
    const history = [0, 1, 2, 3, 4].flatMap(exchange);
    const server = await startMockLLM({
      api: 'openai-chat',
      scenario: [{ reply: { text: 'ok' }, times: 'always' }],
    });
    try {
      const provider = createOpenAIChatProvider({ name: 'local', baseURL: server.url, apiKey: TEST_KEY });
      const first: Context = { model: 'm', messages: [{ role: 'system', content: 'be brief' }, ...history] };
      await collectResponse(provider.stream(first));
      expect(written).toBe(5);
      const second: Context = {
        model: 'm',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'system', content: 'summary' },
          ...history,
          ...exchange(5),
        ],
      };
      await collectResponse(provider.stream(second));
      // The old body re-serialised the whole conversation: 5 + 6.
      expect(written).toBe(6);
      const expected = (context: Context) =>
        JSON.stringify(chatRequest(context, { provider: 'local', baseURL: server.url }));
      expect(server.requests.map((request) => request.raw)).toEqual([expected(first), expected(second)]);
    } finally {
      await server.close();
    }
  });
});
