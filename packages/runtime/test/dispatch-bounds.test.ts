/**
 * One model answer's tool calls are bounded: at most MAX_PARALLEL_CALLS read-only calls run at
 * once, and at most MAX_CALLS_PER_ANSWER calls of an answer run at all (the rest get an error
 * result, unrun), and of those past it only a few are kept (MAX_CALLS_KEPT) in the conversation. Before, a group of read-only calls ran whole at once: an answer of 3,000
 * `file_search` calls was 3,000 `rg` processes on the host at the same time, and every call of
 * an answer ran, whatever their number.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CALLS_KEPT, MAX_CALLS_PER_ANSWER, MAX_PARALLEL_CALLS } from '../src/dispatch.js';
import { fakeTools, runOptions, scriptedProvider, start } from './helpers.js';

describe('tool dispatch: bounds on one answer', () => {
  it('runs read-only calls a few at a time, and no call past the per-answer bound', async () => {
    let active = 0;
    let maxActive = 0;
    let ran = 0;
    const tools = fakeTools({
      file_search: {
        safety: 'read_only',
        run: async () => {
          active += 1;
          ran += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise((resolve) => setImmediate(resolve));
          active -= 1;
          return 'no match';
        },
      },
    });
    const count = 300;
    const provider = scriptedProvider([
      {
        toolCalls: Array.from({ length: count }, (_, i) => ({
          id: `c${i}`,
          name: 'file_search',
          arguments: { query: `needle${i}` },
        })),
      },
      { text: 'done' },
    ]);
    const { result } = await start(runOptions(provider, { tools }));

    expect(result.status).toBe('completed');
    expect(maxActive).toBe(MAX_PARALLEL_CALLS);
    expect(ran).toBe(MAX_CALLS_PER_ANSWER);
    // The calls past MAX_CALLS_KEPT are dropped from the answer as stored, and have no result.
    const assistant = result.messages.find((m) => m.role === 'assistant');
    expect(assistant?.role === 'assistant' && assistant.toolCalls?.length).toBe(MAX_CALLS_KEPT);
    const results = result.messages.filter((m) => m.role === 'tool');
    expect(results).toHaveLength(MAX_CALLS_KEPT);
    expect(results[MAX_CALLS_PER_ANSWER - 1]).toMatchObject({ content: 'no match' });
    expect(results[MAX_CALLS_PER_ANSWER]).toMatchObject({ isError: true });
    expect(results[MAX_CALLS_KEPT - 1]?.content).toBe(
      `not run: one answer may make at most ${MAX_CALLS_PER_ANSWER} tool calls, and this was call ${MAX_CALLS_KEPT} of ${count}; calls ${MAX_CALLS_KEPT + 1} to ${count} were not run either and were dropped from the conversation; make the calls you still need in your next answer`,
    );
    // The next request holds the calls kept, each with its result.
    const next = provider.contexts[1]!.messages;
    expect(next.filter((m) => m.role === 'tool')).toHaveLength(MAX_CALLS_KEPT);
  });
});
