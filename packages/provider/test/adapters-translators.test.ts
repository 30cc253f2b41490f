/**
 * The stream translators on their own: a stream that closes cleanly before its API's terminal
 * event was still cut short (a proxy that ends the response, a server restart), and must not
 * pass for a complete answer.
 */
import { describe, expect, it } from 'vitest';
import { AnthropicStreamTranslator } from '../src/adapters/anthropic/events.js';
import { GeminiStreamTranslator } from '../src/adapters/gemini/events.js';
import { ChatStreamTranslator } from '../src/adapters/openai-chat/provider.js';
import { ResponsesStreamTranslator } from '../src/adapters/openai-responses/events.js';
import { InStreamError } from '../src/shared/errors.js';

type Feed = { handle(event: never): unknown; end(): unknown };

function endAfter(translator: Feed, events: unknown[]): unknown {
  for (const event of events) translator.handle(event as never);
  try {
    translator.end();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('stream translators', () => {
  it.each([
    [
      'openai chat without finish_reason',
      () => new ChatStreamTranslator(),
      [
        {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }],
        },
      ],
    ],
    [
      'responses without a terminal event',
      () => new ResponsesStreamTranslator(),
      [{ type: 'response.output_text.delta', delta: 'Hel', output_index: 0, item_id: 'm', content_index: 0 }],
    ],
    [
      'anthropic without message_stop',
      () => new AnthropicStreamTranslator(),
      [
        { type: 'message_start', message: { usage: { input_tokens: 1, output_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      ],
    ],
    [
      'gemini candidates without finishReason',
      () => new GeminiStreamTranslator(),
      [{ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }] }],
    ],
  ])('%s is a transport error', (_name, make, events) => {
    const error = endAfter(make() as unknown as Feed, events);
    expect(error).toBeInstanceOf(InStreamError);
    expect((error as InStreamError).transport).toBe(true);
  });

  it('chat: a server reusing a tool-call index for a new call id gets two calls', () => {
    const chat = new ChatStreamTranslator();
    const chunk = (toolCall: object, finish: string | null = null) => ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: { tool_calls: [toolCall] }, finish_reason: finish }],
    });
    const events = [
      chunk({ index: 0, id: 'a', function: { name: 'f', arguments: '{"x":1}' } }),
      chunk({ index: 0, id: 'b', function: { name: 'g', arguments: '{}' } }, 'tool_calls'),
    ].flatMap((c) => chat.handle(c as never));
    const ends = events.filter((event) => event.type === 'tool_call_end');
    expect(
      ends.map((event) => event.type === 'tool_call_end' && [event.id, event.name, event.arguments]),
    ).toEqual([
      ['a', 'f', { x: 1 }],
      ['b', 'g', {}],
    ]);
  });

  it('responses: a refusal is streamed as text and finishes as "refusal"', () => {
    const responses = new ResponsesStreamTranslator();
    const events = [
      {
        type: 'response.refusal.delta',
        delta: "I can't help",
        output_index: 0,
        item_id: 'm',
        content_index: 0,
      },
      { type: 'response.completed', response: { id: 'r', status: 'completed', usage: null } },
    ].flatMap((event) => responses.handle(event as never));
    expect(events).toEqual([{ type: 'text_delta', text: "I can't help" }]);
    expect(responses.end()).toEqual([{ type: 'finish', reason: 'refusal', rawReason: 'completed' }]);
  });

  it('gemini: a blocked prompt finishes as content_filter with the block reason', () => {
    const gemini = new GeminiStreamTranslator();
    gemini.handle({ promptFeedback: { blockReason: 'SAFETY', blockReasonMessage: 'blocked' } } as never);
    expect(gemini.end()).toEqual([
      {
        type: 'finish',
        reason: 'content_filter',
        rawReason: null,
        details: { blockReason: 'SAFETY', blockReasonMessage: 'blocked' },
      },
    ]);
  });
});
