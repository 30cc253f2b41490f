/** Scenario replies on the wire: exact framing, event names and field shapes for each API. */
import { MOCK_APIS, type MockApi, type ScenarioStep, startMockLLM } from '@oxydra/testkit';
import { describe, expect, it } from 'vitest';
import { call, endpoint, type Loose, parseSse, post, requestBody, sseJson, streamedText } from './helpers.js';

async function withMock<T>(
  api: MockApi,
  steps: ScenarioStep[],
  run: (mock: Awaited<ReturnType<typeof startMockLLM>>) => Promise<T>,
  lineEnding?: 'lf' | 'crlf',
): Promise<T> {
  const mock = await startMockLLM({ api, scenario: { steps }, lineEnding });
  try {
    return await run(mock);
  } finally {
    await mock.close();
  }
}

const TOOL_REPLY: ScenarioStep = {
  reply: {
    text: 'Checking.',
    toolCalls: [
      { name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } },
      { id: 'call_given', name: 'get_time', arguments: { zone: 'CET' } },
    ],
    argumentChunks: 3,
  },
};

describe('openai-chat', () => {
  const head =
    '{"id":"chatcmpl-mock-0","object":"chat.completion.chunk","created":1750000000,"model":"gpt-test","service_tier":"default","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":';

  it('streams data-only events ending with [DONE], byte for byte', async () => {
    await withMock('openai-chat', [{ reply: { text: 'Hi there' } }], async (mock) => {
      const res = await call(mock);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(await res.text()).toBe(
        `data: ${head}{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}\n\n` +
          `data: ${head}{"content":"Hi"},"logprobs":null,"finish_reason":null}]}\n\n` +
          `data: ${head}{"content":" there"},"logprobs":null,"finish_reason":null}]}\n\n` +
          `data: ${head}{},"logprobs":null,"finish_reason":"stop"}]}\n\n` +
          'data: [DONE]\n\n',
      );
    });
  });

  it('adds usage:null to each chunk and a choices:[] usage chunk only with stream_options.include_usage', async () => {
    const steps: ScenarioStep[] = [
      { reply: { text: 'a b', usage: { input: 7, output: 3, cacheRead: 2, reasoning: 1 } }, times: 2 },
    ];
    await withMock('openai-chat', steps, async (mock) => {
      const body = { ...requestBody('openai-chat', 'x'), stream_options: { include_usage: true } };
      const events = sseJson(await (await post(mock, endpoint('openai-chat'), body)).text());
      const last = events.at(-1);
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({
        prompt_tokens: 9,
        completion_tokens: 3,
        total_tokens: 12,
        prompt_tokens_details: { cached_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 1 },
      });
      expect(events.slice(0, -1).every((e: Loose) => e.usage === null)).toBe(true);

      const without = sseJson(await (await call(mock)).text());
      expect(without.some((e: Loose) => 'usage' in e)).toBe(false);
    });
  });

  it('streams parallel tool calls as indexed deltas with id and name first, then argument fragments', async () => {
    await withMock('openai-chat', [TOOL_REPLY], async (mock) => {
      const events = sseJson(await (await call(mock)).text());
      const deltas = events.flatMap((e: Loose) => e.choices[0]?.delta.tool_calls ?? []);
      const first = deltas.filter((d: Loose) => d.id !== undefined);
      expect(first).toEqual([
        { index: 0, id: 'call_mock_0_0', type: 'function', function: { name: 'get_weather', arguments: '' } },
        { index: 1, id: 'call_given', type: 'function', function: { name: 'get_time', arguments: '' } },
      ]);
      const fragments = (i: number) =>
        deltas
          .filter((d: Loose) => d.index === i && d.id === undefined)
          .map((d: Loose) => d.function.arguments);
      expect(fragments(0)).toHaveLength(3);
      expect(JSON.parse(fragments(0).join(''))).toEqual({ city: 'Paris', unit: 'c' });
      expect(fragments(1).join('')).toBe('{"zone":"CET"}');
      expect(events.at(-1).choices[0].finish_reason).toBe('tool_calls');
    });
  });

  it('cuts argument text at given offsets and text into N deltas', async () => {
    const steps: ScenarioStep[] = [
      {
        reply: {
          text: 'abcdef',
          textChunks: 3,
          toolCalls: [{ name: 't', arguments: '{"a":1}' }],
          argumentChunks: [2, 5],
        },
      },
    ];
    await withMock('openai-chat', steps, async (mock) => {
      const events = sseJson(await (await call(mock)).text());
      const content = events.map((e: Loose) => e.choices[0]?.delta.content).filter((c: unknown) => c);
      expect(content).toEqual(['ab', 'cd', 'ef']);
      const args = events
        .flatMap((e: Loose) => e.choices[0]?.delta.tool_calls ?? [])
        .filter((d: Loose) => d.id === undefined)
        .map((d: Loose) => d.function.arguments);
      expect(args).toEqual(['{"', 'a":', '1}']);
    });
  });

  it('answers stream:false with a complete chat.completion body', async () => {
    await withMock('openai-chat', [TOOL_REPLY], async (mock) => {
      const res = await call(mock, 'hi', false);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as Loose;
      expect(body.object).toBe('chat.completion');
      expect(body.choices[0].message).toMatchObject({
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          {
            id: 'call_mock_0_0',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
          },
          { id: 'call_given', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
        ],
      });
      expect(body.choices[0].finish_reason).toBe('tool_calls');
      expect(body.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    });
  });
});

describe('openai-responses', () => {
  it('streams named events with consecutive sequence numbers and no [DONE]', async () => {
    await withMock('openai-responses', [{ reply: { text: 'Hi there' } }], async (mock) => {
      const text = await (await call(mock)).text();
      const events = parseSse(text);
      expect(events.map((e) => e.event)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      for (const [i, e] of events.entries()) {
        const payload = JSON.parse(e.data);
        expect(payload.type).toBe(e.event);
        expect(payload.sequence_number).toBe(i);
      }
      expect(text).toMatch(/^event: response\.created\ndata: \{"type":"response\.created",/);
      expect(text.endsWith('}\n\n')).toBe(true);
      expect(text).not.toContain('[DONE]');
      expect(streamedText('openai-responses', text)).toBe('Hi there');
      const completed = JSON.parse(events.at(-1)?.data ?? '{}');
      expect(completed.response).toMatchObject({
        id: 'resp_mock_0',
        status: 'completed',
        output: [
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi there' }] },
        ],
        usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      });
    });
  });

  it('streams function calls and reasoning summaries', async () => {
    const steps: ScenarioStep[] = [
      {
        reply: {
          reasoning: 'Need the weather.',
          toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }],
          argumentChunks: 4,
        },
      },
    ];
    await withMock('openai-responses', steps, async (mock) => {
      const events = sseJson(await (await call(mock)).text());
      const reasoning = events
        .filter((e) => e.type === 'response.reasoning_summary_text.delta')
        .map((e) => e.delta);
      expect(reasoning.join('')).toBe('Need the weather.');
      const added = events.find(
        (e) => e.type === 'response.output_item.added' && e.item.type === 'function_call',
      );
      expect(added.item).toMatchObject({
        call_id: 'call_mock_0_0',
        name: 'get_weather',
        arguments: '',
        status: 'in_progress',
      });
      const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
      expect(deltas).toHaveLength(4);
      expect(deltas.every((d) => d.item_id === added.item.id && d.output_index === added.output_index)).toBe(
        true,
      );
      const done = events.find((e) => e.type === 'response.function_call_arguments.done');
      expect(done.arguments).toBe('{"city":"Paris"}');
      expect(deltas.map((d) => d.delta).join('')).toBe(done.arguments);
      expect(events.some((e) => e.type === 'response.output_item.added' && e.item.type === 'message')).toBe(
        false,
      );
      expect(events.at(-1).response.output.map((o: Loose) => o.type)).toEqual(['reasoning', 'function_call']);
    });
  });

  it('ends a length-limited reply with response.incomplete', async () => {
    await withMock('openai-responses', [{ reply: { text: 'cut', finishReason: 'length' } }], async (mock) => {
      const events = sseJson(await (await call(mock)).text());
      expect(events.at(-1)).toMatchObject({
        type: 'response.incomplete',
        response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
      });
    });
  });

  it('answers stream:false with the response object', async () => {
    await withMock('openai-responses', [TOOL_REPLY], async (mock) => {
      const body = (await (await call(mock, 'hi', false)).json()) as Loose;
      expect(body).toMatchObject({ object: 'response', status: 'completed' });
      expect(body.output.map((o: Loose) => [o.type, o.name ?? o.content?.[0]?.text])).toEqual([
        ['message', 'Checking.'],
        ['function_call', 'get_weather'],
        ['function_call', 'get_time'],
      ]);
      expect(body.output[2].call_id).toBe('call_given');
    });
  });

  it('records previous_response_id and rejects unknown ones when the scenario asks', async () => {
    const mock = await startMockLLM({
      api: 'openai-responses',
      scenario: {
        steps: [{ reply: { text: 'ok' }, times: 'always' }],
        rejectUnknownPreviousResponseId: true,
      },
    });
    try {
      const first = sseJson(await (await call(mock)).text());
      const id = first.at(-1).response.id;
      const follow = await post(mock, '/responses', {
        ...requestBody('openai-responses', 'next'),
        previous_response_id: id,
      });
      expect(follow.status).toBe(200);
      expect(sseJson(await follow.text()).at(-1).response.previous_response_id).toBe(id);

      const unknown = await post(mock, '/responses', {
        ...requestBody('openai-responses', 'next'),
        previous_response_id: 'resp_gone',
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toEqual({
        error: {
          message: "Previous response with id 'resp_gone' not found.",
          type: 'invalid_request_error',
          param: 'previous_response_id',
          code: 'previous_response_not_found',
        },
      });
      expect(mock.requests.map((r) => r.body?.previous_response_id)).toEqual([undefined, id, 'resp_gone']);
    } finally {
      await mock.close();
    }
  });
});

describe('anthropic', () => {
  it('streams named events: message_start, blocks with a ping, message_delta, message_stop', async () => {
    await withMock(
      'anthropic',
      [{ reply: { text: 'Hi there', usage: { input: 12, output: 30 } } }],
      async (mock) => {
        const text = await (await call(mock)).text();
        expect(text).toBe(
          'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-test","id":"msg_mock_0","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}\n\n' +
            'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
            'event: ping\ndata: {"type":"ping"}\n\n' +
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n' +
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}\n\n' +
            'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
            'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":30}}\n\n' +
            'event: message_stop\ndata: {"type":"message_stop"}\n\n',
        );
      },
    );
  });

  it('streams thinking with a signature, then text, then tool_use input_json_delta fragments', async () => {
    const steps: ScenarioStep[] = [
      {
        reply: {
          reasoning: 'Let me think.',
          reasoningSignature: 'sig-123',
          text: 'Checking.',
          toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }],
          argumentChunks: 3,
          usage: { input: 5, output: 9, cacheRead: 100, cacheWrite: 50 },
        },
      },
    ];
    await withMock('anthropic', steps, async (mock) => {
      const events = sseJson(await (await call(mock)).text());
      const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e.content_block);
      expect(starts).toEqual([
        { type: 'thinking', thinking: '', signature: '' },
        { type: 'text', text: '' },
        { type: 'tool_use', id: 'toolu_mock_0_0', name: 'get_weather', input: {} },
      ]);
      const deltas = (index: number) =>
        events.filter((e) => e.type === 'content_block_delta' && e.index === index).map((e) => e.delta);
      expect(
        deltas(0)
          .filter((d) => d.type === 'thinking_delta')
          .map((d) => d.thinking)
          .join(''),
      ).toBe('Let me think.');
      expect(deltas(0).at(-1)).toEqual({ type: 'signature_delta', signature: 'sig-123' });
      const json = deltas(2).map((d) => d.partial_json);
      expect(json[0]).toBe('');
      expect(json).toHaveLength(4);
      expect(JSON.parse(json.join(''))).toEqual({ city: 'Paris' });
      expect(events[0].message.usage).toMatchObject({
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 50,
      });
      expect(events.at(-2)).toMatchObject({ type: 'message_delta', delta: { stop_reason: 'tool_use' } });
    });
  });

  it('answers stream:false with a message body', async () => {
    await withMock('anthropic', [TOOL_REPLY], async (mock) => {
      const body = (await (await call(mock, 'hi', false)).json()) as Loose;
      expect(body).toMatchObject({
        type: 'message',
        role: 'assistant',
        stop_reason: 'tool_use',
        content: [
          { type: 'text', text: 'Checking.' },
          {
            type: 'tool_use',
            id: 'toolu_mock_0_0',
            name: 'get_weather',
            input: { city: 'Paris', unit: 'c' },
          },
          { type: 'tool_use', id: 'call_given', name: 'get_time', input: { zone: 'CET' } },
        ],
      });
    });
  });
});

describe('gemini', () => {
  const text = (parts: string, extra = '', usage = '{"promptTokenCount":10,"totalTokenCount":10}') =>
    `{"candidates":[{"content":{"parts":${parts},"role":"model"},${extra}"index":0}],"usageMetadata":${usage},"modelVersion":"gemini-2.5-flash","responseId":"mock-0"}`;
  const finalUsage =
    '{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15,"promptTokensDetails":[{"modality":"TEXT","tokenCount":10}]}';

  it('streams data-only chunks framed with CRLF and no terminator, byte for byte', async () => {
    await withMock('gemini', [{ reply: { text: 'Hi there' } }], async (mock) => {
      const res = await call(mock);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(await res.text()).toBe(
        `data: ${text('[{"text":"Hi"}]')}\r\n\r\n` +
          `data: ${text('[{"text":" there"}]')}\r\n\r\n` +
          `data: ${text('[{"text":""}]', '"finishReason":"STOP",', finalUsage)}\r\n\r\n`,
      );
    });
  });

  it('frames with LF when asked', async () => {
    await withMock(
      'gemini',
      [{ reply: { text: 'Hi' } }],
      async (mock) => {
        const body = await (await call(mock)).text();
        expect(body).not.toContain('\r');
        expect(body.split('\n\n').filter(Boolean)).toHaveLength(2);
      },
      'lf',
    );
  });

  it('sends thoughts and parallel function calls as parts, with usage on the last chunk', async () => {
    const steps: ScenarioStep[] = [
      {
        reply: {
          reasoning: 'Thinking.',
          reasoningSignature: 'c2ln',
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Paris' } },
            { name: 'get_time', arguments: { zone: 'CET' } },
          ],
          usage: { input: 20, output: 8, reasoning: 4, cacheRead: 6 },
        },
      },
    ];
    await withMock('gemini', steps, async (mock) => {
      const chunks = sseJson(await (await call(mock)).text());
      const parts = chunks.flatMap((c) => c.candidates[0].content.parts);
      expect(parts.filter((p: Loose) => p.thought).map((p: Loose) => p.text)).toEqual(['Thinking.']);
      expect(parts.filter((p: Loose) => p.functionCall)).toEqual([
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2ln' },
        { functionCall: { name: 'get_time', args: { zone: 'CET' } } },
      ]);
      const last = chunks.at(-1);
      expect(last.candidates[0].finishReason).toBe('STOP');
      expect(last.usageMetadata).toMatchObject({
        promptTokenCount: 26,
        // Scenario output (8) includes the 4 reasoning tokens; Gemini reports them apart.
        candidatesTokenCount: 4,
        thoughtsTokenCount: 4,
        cachedContentTokenCount: 6,
        totalTokenCount: 34,
      });
    });
  });

  it('answers :generateContent with one body and takes the model from the URL', async () => {
    await withMock('gemini', [TOOL_REPLY], async (mock) => {
      const res = await post(
        mock,
        endpoint('gemini', { stream: false, model: 'gemini-pro-x' }),
        requestBody('gemini', 'hi'),
      );
      const body = (await res.json()) as Loose;
      expect(body.modelVersion).toBe('gemini-pro-x');
      expect(body.candidates[0].content.parts).toEqual([
        { text: 'Checking.' },
        { functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'c' } } },
        { functionCall: { id: 'call_given', name: 'get_time', args: { zone: 'CET' } } },
      ]);
    });
  });

  it('answers :streamGenerateContent without alt=sse with a JSON array of the same chunks', async () => {
    await withMock(
      'gemini',
      [{ reply: { text: 'Hi there' } }, { reply: { text: 'Hi there' } }],
      async (mock) => {
        const array = (await (
          await post(
            mock,
            '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
            requestBody('gemini', 'x'),
          )
        ).json()) as Loose[];
        const sse = sseJson(await (await call(mock)).text());
        expect(array.map((c) => c.candidates[0].content.parts)).toEqual(
          sse.map((c) => c.candidates[0].content.parts),
        );
      },
    );
  });
});

describe('every API', () => {
  for (const api of MOCK_APIS) {
    it(`${api}: the streamed text deltas reassemble the scenario text, non-ASCII included`, async () => {
      const sentence = 'Grüße — 925 ÷ 5 = 185 ✓ 😀 done';
      await withMock(api, [{ reply: { text: sentence, textChunks: 7 } }], async (mock) => {
        expect(streamedText(api, await (await call(mock)).text())).toBe(sentence);
      });
    });
  }
});
