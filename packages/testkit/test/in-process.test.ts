/** The in-process providers: what they stream, what they record, and how a script is swapped. */
import { type Context, PROVIDER_TYPES, type StreamEvent } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { instantProvider, replyEvents, scriptedAdapters, scriptedProvider } from '../src/index.js';

const context = (text: string): Context => ({ model: 'm', messages: [{ role: 'user', content: text }] });

async function drain(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('scriptedProvider', () => {
  it('streams replies in order as an adapter would (text by word, tool calls whole, usage, finish); the last repeats', async () => {
    const provider = scriptedProvider([
      {
        toolCalls: [{ name: 'file_read', arguments: { path: 'a.txt' } }],
        usage: { inputTokens: 9, outputTokens: 2 },
      },
      { text: 'all done now' },
    ]);
    const first = await drain(provider.stream(context('go')));
    expect(first).toEqual([
      { type: 'tool_call_start', index: 0, id: 'call_scripted_0_0', name: 'file_read' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{"path":"a.txt"}' },
      {
        type: 'tool_call_end',
        index: 0,
        id: 'call_scripted_0_0',
        name: 'file_read',
        arguments: { path: 'a.txt' },
        rawArguments: '{"path":"a.txt"}',
      },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 2 } },
      { type: 'finish', reason: 'tool_calls', rawReason: 'tool_calls' },
    ]);
    const second = await drain(provider.stream(context('again')));
    expect(
      second.filter((e) => e.type === 'text_delta').map((e) => (e.type === 'text_delta' ? e.text : '')),
    ).toEqual(['all', ' done', ' now']);
    expect(await drain(provider.stream(context('third')))).toEqual(second);
    expect(provider.calls.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(provider.calls[1]!.context.messages).toEqual([{ role: 'user', content: 'again' }]);
  });

  it('runs a function script with the call (and its signal), and can be swapped between calls', async () => {
    const provider = scriptedProvider(function* (call) {
      yield { type: 'text_delta', text: `you said ${JSON.stringify(call.context.messages.at(-1)?.content)}` };
    });
    const controller = new AbortController();
    expect(await drain(provider.stream(context('hi'), { signal: controller.signal }))).toEqual([
      { type: 'text_delta', text: 'you said "hi"' },
    ]);
    expect(provider.calls[0]!.signal).toBe(controller.signal);
    provider.script = [{ text: 'swapped' }];
    expect(await drain(provider.stream(context('x')))).toEqual(replyEvents({ text: 'swapped' }, 1));
  });

  it('refuses an empty script with a clear error', () => {
    expect(() => scriptedProvider([]).stream(context('x'))).toThrow('the script has no replies');
  });
});

describe('instantProvider and scriptedAdapters', () => {
  it('answers at once with fixed usage; every provider type builds the given provider', async () => {
    const instant = instantProvider('ready');
    expect(await drain(instant.stream(context('x')))).toEqual([
      { type: 'text_delta', text: 'ready' },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 1 } },
      { type: 'finish', reason: 'stop', rawReason: 'stop' },
    ]);
    const adapters = scriptedAdapters(instant);
    // Every type the config schema accepts, whatever types there are: no list to keep here.
    expect(Object.keys(adapters)).toEqual(PROVIDER_TYPES);
    for (const type of PROVIDER_TYPES) expect(adapters[type](), type).toBe(instant);
  });
});
