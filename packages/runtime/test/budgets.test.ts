import { describe, expect, it } from 'vitest';
import { startAgentRun } from '../src/index.js';
import {
  FakeClock,
  fakeTools,
  finish,
  hangingStream,
  repeatSteps,
  runOptions,
  scriptedProvider,
  start,
  testModel,
  waitForEvent,
} from './helpers.js';

// $100 per million input tokens: a ~30-token prompt costs about $0.003.
const PRICES = { input: 100, output: 200 };

describe('budgets: turns', () => {
  it('stops before the call that would exceed max_turns, and runs no tools it could not report', async () => {
    const tools = fakeTools({ file_list: { run: () => 'a.txt' } });
    const provider = scriptedProvider(repeatSteps({ toolCalls: [{ name: 'file_list' }] }, 10));
    const { result } = await start(runOptions(provider, { tools, budgets: { maxTurns: 3 } }));

    expect(result).toMatchObject({
      status: 'failed',
      turns: 3,
      error: {
        code: 'budget_exceeded',
        kind: 'turns',
        message: 'turn budget exhausted: 3 of 3 model calls used',
      },
    });
    expect(provider.contexts).toHaveLength(3);
    // The third answer's tool call is not run: no model call is left to read its result.
    expect(tools.invocations).toHaveLength(2);
    expect(result.messages.at(-1)).toMatchObject({ role: 'tool', isError: true });
    expect(result.messages.at(-1)?.content).toContain('no result (the run stopped: turn budget exhausted');
  });

  it('completes when the answer comes on the last allowed call', async () => {
    const tools = fakeTools({ file_list: { run: () => 'a.txt' } });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'file_list' }] }, { text: 'done' }]);
    const { result } = await start(runOptions(provider, { tools, budgets: { maxTurns: 2 } }));
    expect(result).toMatchObject({ status: 'completed', turns: 2 });
  });
});

describe('budgets: dollars', () => {
  it('stops before a call whose cheapest possible cost does not fit what is left', async () => {
    const tools = fakeTools({ file_list: { run: () => 'a.txt' } });
    const provider = scriptedProvider([
      { toolCalls: [{ name: 'file_list' }], usage: { inputTokens: 30, outputTokens: 10, costUsd: 0.0099 } },
      { text: 'never called' },
    ]);
    const { result } = await start(
      runOptions(provider, { tools, model: testModel({ prices: PRICES }), budgets: { maxCostUsd: 0.01 } }),
    );

    expect(provider.contexts).toHaveLength(1);
    expect(tools.invocations).toHaveLength(1);
    expect(result).toMatchObject({ status: 'failed', turns: 1, costUsd: 0.0099 });
    expect(result.error).toMatchObject({ code: 'budget_exceeded', kind: 'cost' });
    expect(result.error?.message).toMatch(
      /^cost budget exhausted: \$0\.009900 of \$0\.0100 spent, and the next call needs at least \$0\.\d+ \(about \d+ prompt tokens\)$/,
    );
  });

  it('counts tokens exactly before refusing a call whose byte-size estimate does not fit', async () => {
    // 2,000 CJK characters: 6,000 UTF-8 bytes (the quick upper bound) but far fewer tokens.
    const prompt = '漢字'.repeat(1000);
    const provider = scriptedProvider([{ text: 'fits' }]);
    const { countMessageTokens } = await import('../../provider/src/index.js');
    const exact = countMessageTokens([{ role: 'user', content: prompt }]);
    // A budget between the exact prompt cost and the byte-bound cost, at $100 per million.
    const budget = ((exact + 2000) * 100) / 1_000_000;
    const { result } = await start(
      runOptions(provider, { prompt, model: testModel({ prices: PRICES }), budgets: { maxCostUsd: budget } }),
    );
    expect(provider.contexts).toHaveLength(1);
    expect(result.status).toBe('completed');
  });

  it('does not make even the first call when its prompt alone costs more than the budget', async () => {
    const provider = scriptedProvider([{ text: 'never' }]);
    const { result } = await start(
      runOptions(provider, { model: testModel({ prices: PRICES }), budgets: { maxCostUsd: 0.0001 } }),
    );
    expect(provider.contexts).toHaveLength(0);
    expect(result).toMatchObject({ status: 'failed', turns: 0, costUsd: 0 });
    expect(result.error?.kind).toBe('cost');
  });

  it('stops right after the call that crossed the budget, before running its tools', async () => {
    const tools = fakeTools({ file_write: { safety: 'side_effecting', run: () => 'written' } });
    const provider = scriptedProvider([
      { toolCalls: [{ name: 'file_write' }], usage: { inputTokens: 30, outputTokens: 500, costUsd: 0.02 } },
      { text: 'never' },
    ]);
    const { result } = await start(
      runOptions(provider, { tools, model: testModel({ prices: PRICES }), budgets: { maxCostUsd: 0.01 } }),
    );

    expect(tools.invocations).toHaveLength(0);
    expect(provider.contexts).toHaveLength(1);
    expect(result).toMatchObject({
      status: 'failed',
      turns: 1,
      costUsd: 0.02,
      error: {
        code: 'budget_exceeded',
        kind: 'cost',
        message: 'cost budget exceeded: $0.0200 spent of $0.0100 after 1 model calls',
      },
    });
  });

  it('still completes when the final answer itself crosses the budget', async () => {
    const provider = scriptedProvider([
      { text: 'the answer', usage: { inputTokens: 30, outputTokens: 500, costUsd: 0.02 } },
    ]);
    const { result } = await start(
      runOptions(provider, { model: testModel({ prices: PRICES }), budgets: { maxCostUsd: 0.01 } }),
    );
    expect(result).toMatchObject({ status: 'completed', text: 'the answer', costUsd: 0.02 });
  });

  it('fails at once with config_error when max_cost is set but the prices are unknown', async () => {
    const provider = scriptedProvider([{ text: 'never' }], 'ollama');
    const { result } = await start(runOptions(provider, { budgets: { maxCostUsd: 1 } }));
    expect(provider.contexts).toHaveLength(0);
    expect(result.error).toEqual({
      code: 'config_error',
      message:
        'runtime.max_cost is set ($1.0000) but the prices of model "test-model" (provider "ollama") are unknown, so its cost cannot be tracked',
    });
  });

  it('computes costs from the model prices when the provider reports tokens only', async () => {
    const provider = scriptedProvider([{ text: 'hi', usage: { inputTokens: 1000, outputTokens: 500 } }]);
    const { result, events } = await start(runOptions(provider, { model: testModel({ prices: PRICES }) }));
    // 1000 * $100/M + 500 * $200/M
    expect(result.costUsd).toBeCloseTo(0.2, 10);
    expect(result.usage.costUsd).toBeCloseTo(0.2, 10);
    // The forwarded usage event carries the cost too.
    expect(events.find((e) => e.type === 'usage')).toMatchObject({
      usage: { costUsd: expect.closeTo(0.2, 10) },
    });
  });

  it('reports the cost as unknown (null) when a call has no price, and sums what it knows', async () => {
    const provider = scriptedProvider([
      { toolCalls: [{ name: 'a' }], usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.5 } },
      { text: 'done', usage: { inputTokens: 10, outputTokens: 5 } },
    ]);
    const tools = fakeTools({ a: { run: () => 'x' } });
    const { result } = await start(runOptions(provider, { tools }));
    expect(result.costUsd).toBeNull();
    expect(result.usage).toEqual({ inputTokens: 20, outputTokens: 10, costUsd: 0.5 });
  });

  it('a failed call of an unpriced model leaves the cost unknown, as a completed run would; a priced one costs what it reported', async () => {
    const failing = () =>
      scriptedProvider([
        // The provider fails before any usage arrives.
        () => ({
          [Symbol.asyncIterator]: () => ({
            next: () => Promise.reject(new Error('the connection dropped')),
          }),
        }),
      ]);
    const unpriced = await start(runOptions(failing()));
    expect(unpriced.result).toMatchObject({ status: 'failed', turns: 1, costUsd: null });
    const free = await start(
      runOptions(failing(), { model: testModel({ prices: { input: 0, output: 0 } }) }),
    );
    expect(free.result).toMatchObject({ status: 'failed', turns: 1, costUsd: 0 });
  });

  it('stops when a call reports no usage while max_cost is set: the cap could not be enforced', async () => {
    const tools = fakeTools({ a: { run: () => 'x' } });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'a' }], usage: {} }, { text: 'never' }]);
    const { result } = await start(
      runOptions(provider, { tools, model: testModel({ prices: PRICES }), budgets: { maxCostUsd: 5 } }),
    );
    expect(result.costUsd).toBeNull();
    expect(result.error?.message).toBe(
      'cost budget cannot be enforced: call 1 reported no token usage, so its cost is unknown (max_cost $5.0000)',
    );
  });
});

describe('budgets: wall time', () => {
  it('aborts the run when maxWallMs passes, even inside a hanging call', async () => {
    const clock = new FakeClock();
    const provider = scriptedProvider([hangingStream([{ type: 'text_delta', text: 'thinking' }])]);
    const run = startAgentRun(
      runOptions(provider, { clock, budgets: { maxWallMs: 120_000, turnTimeoutMs: 600_000 } }),
    );
    await waitForEvent(run, (e) => e.type === 'text_delta');
    clock.advance(120_000);
    const { result } = await finish(run);

    expect(result).toMatchObject({
      status: 'failed',
      text: 'thinking',
      error: {
        code: 'budget_exceeded',
        kind: 'wall_time',
        message: 'wall time budget exhausted: the run took 120 s of 120 s allowed',
      },
    });
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('checks wall time before each call', async () => {
    const clock = new FakeClock();
    const tools = fakeTools({
      slow: {
        run: () => {
          // The tool finishes just as the wall budget runs out.
          clock.advance(10_000);
          return 'ok';
        },
      },
    });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'slow' }] }, { text: 'never' }]);
    const { result } = await start(runOptions(provider, { tools, clock, budgets: { maxWallMs: 10_000 } }));
    expect(provider.contexts).toHaveLength(1);
    expect(result.error?.kind).toBe('wall_time');
  });
});
