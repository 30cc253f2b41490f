import { BudgetExceeded, type Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { fitContext, promptLimit, TRIMMED_NOTE } from '../src/index.js';
import { expectPairsIntact, runOptions, scriptedProvider, start, testModel } from './helpers.js';

const words = (n: number) => 'word '.repeat(n).trim();
const NO_BUFFER = { safetyBufferTokens: 0, fallbackMaxContextTokens: 128_000 };

function assistantCall(id: string, text = ''): Message {
  return {
    role: 'assistant',
    content: text,
    toolCalls: [{ id, name: 'file_read', arguments: { path: id } }],
  };
}
function toolResult(id: string, content: string): Message {
  return { role: 'tool', toolCallId: id, toolName: 'file_read', content };
}

describe('promptLimit', () => {
  it('is the window minus the output allowance and the safety buffer', () => {
    const model = testModel({ contextWindow: 128_000, maxOutputTokens: 16_384 });
    expect(promptLimit(model, { safetyBufferTokens: 1024, fallbackMaxContextTokens: 1 }).limit).toBe(110_592);
  });

  it('falls back to fallbackMaxContextTokens when the window is unknown', () => {
    const model = testModel({ contextWindow: undefined, maxOutputTokens: undefined });
    expect(promptLimit(model, { safetyBufferTokens: 1000, fallbackMaxContextTokens: 32_000 }).limit).toBe(
      31_000,
    );
  });

  it('caps the output allowance at half the window, and honours a smaller input limit', () => {
    const huge = testModel({ contextWindow: 100_000, maxOutputTokens: 100_000 });
    expect(promptLimit(huge, NO_BUFFER).limit).toBe(50_000);
    const capped = { ...testModel({ contextWindow: 400_000, maxOutputTokens: 0 }), maxInputTokens: 272_000 };
    expect(promptLimit(capped, { safetyBufferTokens: 1000, fallbackMaxContextTokens: 1 }).limit).toBe(
      271_000,
    );
  });
});

describe('fitContext', () => {
  const conversation: Message[] = [
    { role: 'user', content: 'first task' },
    assistantCall('c1'),
    toolResult('c1', words(2000)),
    { role: 'assistant', content: 'first done' },
    { role: 'user', content: 'second task' },
    assistantCall('c2'),
    toolResult('c2', words(2000)),
    assistantCall('c3', 'one more'),
    toolResult('c3', 'small'),
  ];

  it('sends everything when it fits', () => {
    const fitted = fitContext('system', conversation, [], testModel(), NO_BUFFER);
    expect(fitted.dropped).toBe(0);
    expect(fitted.messages).toEqual([{ role: 'system', content: 'system' }, ...conversation]);
    expect(fitted.promptTokens).toBeGreaterThan(4000);
  });

  it('drops the oldest whole units, keeps tool calls with their results and the latest request', () => {
    const model = testModel({ contextWindow: 1500, maxOutputTokens: 0 });
    const fitted = fitContext('system', conversation, [], model, NO_BUFFER);

    expect(fitted.messages).toEqual([
      { role: 'system', content: 'system' },
      TRIMMED_NOTE,
      { role: 'user', content: 'second task' },
      assistantCall('c3', 'one more'),
      toolResult('c3', 'small'),
    ]);
    expect(fitted.dropped).toBe(6);
    expect(fitted.promptTokens).toBeLessThanOrEqual(1500);
    expectPairsIntact(fitted.messages);
  });

  it('drops earlier exchanges before steps of the current task', () => {
    const model = testModel({ contextWindow: 3000, maxOutputTokens: 0 });
    const fitted = fitContext('system', conversation, [], model, NO_BUFFER);
    // The first exchange (with its 2,000-token result) goes; the current task's steps stay.
    expect(fitted.messages.slice(2)).toEqual(conversation.slice(4));
    expectPairsIntact(fitted.messages);
  });

  it('never keeps a tool result without its call, whatever the window', () => {
    for (let window = 100; window <= 4400; window += 4) {
      const model = testModel({ contextWindow: window, maxOutputTokens: 0 });
      let fitted: ReturnType<typeof fitContext>;
      try {
        fitted = fitContext('system', conversation, [], model, NO_BUFFER);
      } catch (error) {
        expect(error).toBeInstanceOf(BudgetExceeded);
        continue;
      }
      expectPairsIntact(fitted.messages);
      expect(fitted.messages.filter((m) => m.role === 'user').at(-1)).toEqual({
        role: 'user',
        content: 'second task',
      });
      expect(fitted.promptTokens).toBeLessThanOrEqual(window);
    }
  });

  it('keeps system messages from the history (a rolling summary) while trimming', () => {
    const summary: Message = { role: 'system', content: 'Rolling session summary: earlier work.' };
    const model = testModel({ contextWindow: 3000, maxOutputTokens: 0 });
    const fitted = fitContext('system', [summary, ...conversation], [], model, NO_BUFFER);
    expect(fitted.messages).toContainEqual(summary);
  });

  it('fails clearly when even the latest user message does not fit', () => {
    const model = testModel({ contextWindow: 3000, maxOutputTokens: 1000 });
    const attempt = () =>
      fitContext('system', [{ role: 'user', content: words(2500) }], [], model, {
        safetyBufferTokens: 200,
        fallbackMaxContextTokens: 1,
      });
    expect(attempt).toThrow(BudgetExceeded);
    expect(attempt).toThrow(
      /^context window exceeded: the system prompt, tool definitions and the latest user message need about \d+ tokens, but test-model leaves 1800 for the prompt \(3000 context - 1000 reserved for the answer - 200 safety buffer\)/,
    );
  });
});

describe('context window in a run', () => {
  it('sends a trimmed view but returns the whole conversation', async () => {
    const history: Message[] = [
      { role: 'user', content: 'read a big file' },
      assistantCall('c1'),
      toolResult('c1', words(3000)),
      { role: 'assistant', content: 'it is big' },
    ];
    const provider = scriptedProvider([{ text: 'ok' }]);
    const { result } = await start(
      runOptions(provider, {
        history,
        prompt: 'now summarise',
        model: testModel({ contextWindow: 2000, maxOutputTokens: 500 }),
        contextBudget: { safetyBufferTokens: 100, fallbackMaxContextTokens: 1 },
      }),
    );
    expect(provider.contexts[0]?.messages).toEqual([
      { role: 'system', content: 'You are a test agent.' },
      TRIMMED_NOTE,
      { role: 'user', content: 'now summarise' },
    ]);
    expect(result.messages.slice(0, 4)).toEqual(history);
  });

  it('fails the run before any call when the prompt cannot fit', async () => {
    const provider = scriptedProvider([{ text: 'never' }]);
    const { result } = await start(
      runOptions(provider, {
        prompt: words(5000),
        model: testModel({ contextWindow: 4000, maxOutputTokens: 1000 }),
      }),
    );
    expect(provider.contexts).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'failed',
      turns: 0,
      error: { code: 'budget_exceeded', kind: 'tokens' },
    });
    expect(result.error?.message).toContain('context window exceeded');
  });
});
