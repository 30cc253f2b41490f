// A request body's tool list stringified once per tool and each conversation message once per
// message object (shared/request.ts toolsJsonOnce, itemsJsonOnce and stringifyWith): the bytes
// sent stay JSON.stringify's, schemas and messages sent before are not serialized again.
import { startMockLLM } from '@oxydra/testkit';
import type { Context, Message, ToolSpec } from '@oxydra/types';
import { describe, expect, it, vi } from 'vitest';
import { createGeminiProvider } from '../src/adapters/gemini/provider.js';
import { geminiRequest } from '../src/adapters/gemini/request.js';
import { chatRequest, createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { responsesInput, responsesRequest } from '../src/adapters/openai-responses/request.js';
import { JSON_MARK, stringifyWith } from '../src/shared/request.js';
import { collectResponse } from '../src/shared/stream.js';
import { TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION, FILE_READ, PDF_BASE64, PNG_BASE64 } from './helpers-adapters-context.js';

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

/** String values that spell a mark, alone and after each key a body's list is spliced at. */
const SPELLED = [JSON_MARK, ...['messages', 'input', 'contents', 'tools', 'functionDeclarations']]
  .map((key) => `"${key}":"${JSON_MARK}"`)
  .join(' \\ ');

/**
 * Exchange `i` of a session: a user turn (text, or text with an image, and a PDF where the wire
 * takes one), an assistant turn with reasoning of every kind and one call or two parallel ones
 * (Gemini metadata on some), their results (one an error), an answer; exchange 2 adds an empty
 * user turn and an assistant turn that maps to nothing on Responses and Gemini. The first call's
 * arguments count their writes.
 */
function exchange(i: number, pdf: boolean, counted: () => void): Message[] {
  const image = { type: 'attachment' as const, mimeType: 'image/png', data: PNG_BASE64 };
  const document = { type: 'attachment' as const, mimeType: 'application/pdf', data: PDF_BASE64 };
  const user: Message =
    i % 2 === 0
      ? { role: 'user', content: `read ${i} ${SPELLED}` }
      : { role: 'user', content: [{ type: 'text', text: SPELLED }, image, ...(pdf ? [document] : [])] };
  const args = { path: `f${i}.txt`, note: SPELLED };
  // Odd exchanges make one call (its result a content alone on Gemini), even ones two.
  const second = i % 2 === 0;
  return [
    user,
    {
      role: 'assistant',
      content: i % 2 === 0 ? '' : `reading ${SPELLED}`,
      reasoning: [
        { text: 'plain' },
        { text: 'thought', signature: `sig${i}` },
        { text: 'summary', id: `rs_${i}`, encrypted: 'enc' },
        { text: '', signature: 'tail' },
      ],
      toolCalls: [
        {
          id: `call_${i}`,
          name: 'file_read',
          arguments: {
            toJSON() {
              counted();
              return args;
            },
          },
          ...(i % 3 === 0 ? { metadata: { geminiCallId: `g_${i}`, thoughtSignature: `ts${i}` } } : {}),
        },
        ...(second
          ? [{ id: `call_${i}b`, name: 'file_read', arguments: args, rawArguments: JSON.stringify(args) }]
          : []),
      ],
    },
    { role: 'tool', toolCallId: `call_${i}`, toolName: 'file_read', content: `contents ${i} ${SPELLED}` },
    ...(second
      ? [
          {
            role: 'tool' as const,
            toolCallId: `call_${i}b`,
            toolName: 'file_read',
            content: SPELLED,
            isError: true,
          },
        ]
      : []),
    ...(i === 2
      ? [
          { role: 'user' as const, content: [] },
          { role: 'assistant' as const, content: '' },
        ]
      : []),
    { role: 'assistant', content: `file ${i} read` },
  ];
}

const SYSTEM: Message = { role: 'system', content: `be brief ${SPELLED}` };

/** Three calls: a session's first; the next, after the answer and one more exchange; an edited one. */
function sessionCalls(pdf: boolean, counted: () => void): Context[] {
  const history = [0, 1, 2, 3, 4].flatMap((i) => exchange(i, pdf, counted));
  const answered = [...history, { role: 'assistant' as const, content: 'ok' }, ...exchange(5, pdf, counted)];
  const tools = [FILE_READ];
  return [
    { model: 'm', tools, messages: [SYSTEM, ...history] },
    { model: 'm', tools, messages: [SYSTEM, ...answered], maxOutputTokens: 100 },
    // The first exchange gone (a summary in its place): Responses cannot chain this one.
    { model: 'm', tools, messages: [SYSTEM, { role: 'system', content: 'summary' }, ...answered.slice(5)] },
  ];
}

const SESSION_WIRES = [
  {
    api: 'openai-chat' as const,
    pdf: false,
    create: createOpenAIChatProvider,
    expected: (contexts: Context[], url: string) =>
      contexts.map((context) => JSON.stringify(chatRequest(context, { provider: 'local', baseURL: url }))),
  },
  {
    api: 'openai-responses' as const,
    pdf: true,
    create: createOpenAIResponsesProvider,
    expected: (contexts: Context[]) =>
      contexts.map((context, call) => {
        const { instructions, items } = responsesInput(context, 'local');
        // The second call extends the first and its answer: only its new items, chained.
        if (call !== 1) return JSON.stringify(responsesRequest(context, items, instructions, undefined));
        const sent = responsesInput(contexts[0] as Context, 'local').items.length + 1;
        return JSON.stringify(responsesRequest(context, items.slice(sent), instructions, 'resp_mock_0'));
      }),
  },
  {
    api: 'gemini' as const,
    pdf: true,
    create: createGeminiProvider,
    expected: (contexts: Context[]) => contexts.map((context) => JSON.stringify(geminiRequest(context))),
  },
];

describe.each(SESSION_WIRES)('$api request body, call after call of one session', (wire) => {
  it("serialises only the messages new since the last call, and sends JSON.stringify's bytes", async () => {
    let written = 0;
    const contexts = sessionCalls(wire.pdf, () => {
      written += 1;
    });
    const server = await startMockLLM({
      api: wire.api,
      scenario: [{ reply: { text: 'ok' }, times: 'always' }],
    });
    try {
      const provider = wire.create({ name: 'local', baseURL: server.url, apiKey: TEST_KEY });
      const counts: number[] = [];
      for (const context of contexts) {
        await collectResponse(provider.stream(context));
        counts.push(written);
      }
      // The old body re-serialised the whole conversation: 5, then 5 + 6, then 5 + 6 + 5.
      expect(counts).toEqual([5, 6, 6]);
      const raw = server.requests.map((request) => request.raw);
      expect(raw).toEqual(wire.expected(contexts, server.url));
      if (wire.api === 'openai-responses') expect(raw[1]).toContain('"previous_response_id":"resp_mock_0"');
    } finally {
      await server.close();
    }
  });
});

describe('openai-responses chaining', () => {
  it('compares the items sent before by the texts the bodies were made of, not by writing them again', async () => {
    const contexts = sessionCalls(true, () => {});
    const server = await startMockLLM({
      api: 'openai-responses',
      scenario: [{ reply: { text: 'ok' }, times: 'always' }],
    });
    // Every function call and output item written on its own: once each, for its body.
    const stringify = JSON.stringify;
    const items: unknown[] = [];
    const spy = vi.spyOn(JSON, 'stringify').mockImplementation((value, ...rest) => {
      if (typeof value === 'object' && value !== null && 'call_id' in value) items.push(value);
      return stringify(value, ...(rest as [undefined]));
    });
    try {
      const provider = createOpenAIResponsesProvider({
        name: 'local',
        baseURL: server.url,
        apiKey: TEST_KEY,
      });
      for (const context of contexts) await collectResponse(provider.stream(context));
    } finally {
      spy.mockRestore();
      await server.close();
    }
    // Six exchanges, three of one call and three of two, each call and result written once (the
    // old chain wrote each again per call).
    expect(items).toHaveLength(18);
    expect(server.requests[1]?.raw).toContain('"previous_response_id":"resp_mock_0"');
  });
});
