/**
 * What every adapter makes of the same scripted replies, served by the testkit in each API's
 * wire format: streaming order, parallel tool calls, invalid arguments, finish reasons.
 */
import { type MockLLM, type ScenarioReply, startMockLLM } from '@oxydra/testkit';
import type { ModelEvent } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { collectResponse } from '../src/shared/stream.js';
import { ADAPTER_CASES, BASIC_CONTEXT, collectEvents, providerFor } from './helpers-adapters.js';
import { CONVERSATION } from './helpers-adapters-context.js';

let server: MockLLM | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function* replay(events: ModelEvent[]): AsyncGenerator<ModelEvent> {
  yield* events;
}

for (const adapter of ADAPTER_CASES) {
  describe(`${adapter.api} adapter replies`, () => {
    async function eventsFor(reply: ScenarioReply): Promise<ModelEvent[]> {
      server = await startMockLLM({ api: adapter.api, scenario: [{ reply }] });
      return collectEvents(providerFor(adapter, server).stream(CONVERSATION));
    }

    it('streams text as it arrives and ends with usage and finish', async () => {
      const events = await eventsFor({ text: 'one two three four' });
      const deltas = events.filter((event) => event.type === 'text_delta');
      expect(deltas.map((event) => event.type === 'text_delta' && event.text)).toEqual([
        'one',
        ' two',
        ' three',
        ' four',
      ]);
      expect(events.slice(-2).map((event) => event.type)).toEqual(['usage', 'finish']);
      const response = await collectResponse(replay(events));
      expect(response.message).toEqual({ role: 'assistant', content: 'one two three four' });
      expect(response.finishReason).toBe('stop');
    });

    it('assembles parallel tool calls from start/delta/end events', async () => {
      const events = await eventsFor({
        toolCalls: [
          { id: 'call_a', name: 'file_read', arguments: { path: 'a.txt' } },
          { id: 'call_b', name: 'file_read', arguments: { path: 'b.txt', range: { start: 1 } } },
        ],
        argumentChunks: 3,
      });
      const starts = events.filter((event) => event.type === 'tool_call_start');
      const ends = events.filter((event) => event.type === 'tool_call_end');
      expect(starts.map((event) => event.type === 'tool_call_start' && event.index)).toEqual([0, 1]);
      expect(ends).toHaveLength(2);
      for (const end of ends) {
        if (end.type !== 'tool_call_end') continue;
        const streamed = events
          .filter((event) => event.type === 'tool_call_delta' && event.index === end.index)
          .map((event) => (event.type === 'tool_call_delta' ? event.argumentsDelta : ''))
          .join('');
        // The deltas of a call add up to its final argument text.
        expect(streamed).toBe(end.rawArguments);
      }
      const response = await collectResponse(replay(events));
      expect(response.toolCalls.map((call) => [call.name, call.arguments])).toEqual([
        ['file_read', { path: 'a.txt' }],
        ['file_read', { path: 'b.txt', range: { start: 1 } }],
      ]);
      // Gemini has no call ids: ours are synthesised and distinct.
      expect(new Set(response.toolCalls.map((call) => call.id)).size).toBe(2);
      expect(response.finishReason).toBe('tool_calls');
    });

    it('keeps the ids the API gives to tool calls', async () => {
      const events = await eventsFor({
        toolCalls: [{ id: 'call_given', name: 'file_read', arguments: { path: 'x' } }],
      });
      const response = await collectResponse(replay(events));
      expect(response.toolCalls[0]?.id).toBe('call_given');
    });

    if (adapter.api !== 'gemini') {
      // Gemini sends arguments as objects, so only the text-streaming APIs can send broken JSON.
      it('reports invalid argument JSON on the end event instead of failing', async () => {
        const events = await eventsFor({ toolCalls: [{ name: 'file_read', arguments: '{"path": "a' }] });
        const end = events.find((event) => event.type === 'tool_call_end');
        expect(end).toMatchObject({ arguments: {}, rawArguments: '{"path": "a' });
        expect(end?.type === 'tool_call_end' && end.parseError).toMatch(/not valid JSON/);
      });
    }

    it('maps a length stop to finish reason "length"', async () => {
      const events = await eventsFor({ text: 'cut short', finishReason: 'length' });
      const finish = events.at(-1);
      expect(finish).toMatchObject({ type: 'finish', reason: 'length' });
      expect(finish?.type === 'finish' && typeof finish.rawReason).toBe('string');
    });

    it('collects reasoning separately from the answer', async () => {
      const events = await eventsFor({ text: 'answer', reasoning: 'thinking it through' });
      const response = await collectResponse(replay(events));
      expect(response.message.content).toBe('answer');
      expect(response.message.reasoning?.map((block) => block.text).join('')).toBe('thinking it through');
    });

    it('reports usage with every prompt token in inputTokens', async () => {
      server = await startMockLLM({
        api: adapter.api,
        scenario: [{ reply: { text: 'hi', usage: { input: 10, output: 5, cacheRead: 4, reasoning: 2 } } }],
      });
      const response = await collectResponse(providerFor(adapter, server).stream(BASIC_CONTEXT));
      expect(response.usage).toMatchObject({ inputTokens: 14, cacheReadTokens: 4, reasoningTokens: 2 });
      expect(response.usage.raw).toBeDefined();
    });
  });
}
