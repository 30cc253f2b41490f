/**
 * A spec run's dollar limit covers its first call too: the one that turns the request into
 * criteria. Before, that call ran with no limit (only the attempts and judges after it had
 * one), so a costly answer was taken and the run went on to ask the user to confirm criteria it
 * could no longer afford. Now the call is limited like the others and the run stops with the
 * budget error.
 */
import { BudgetExceeded } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { runSpec } from '../src/exports/spec.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const DIRECTIVE = {
  goal: 'write a note',
  constraints: [],
  acceptance_criteria: ['file: a.txt exists'],
  independent: [],
};

describe("a spec run's first call", () => {
  it('spends against the run’s dollar limit and stops the run with the budget error', async () => {
    const { kernel, mock } = await testKernel([
      // Priced as gpt-4o-mini: about $0.0042, over the $0.003 limit, in the first call.
      { reply: { text: JSON.stringify(DIRECTIVE), usage: { input: 20_000, output: 2_000 } } },
      { reply: { text: 'should never be asked' }, times: 'always' },
    ]);
    const confirmed: unknown[] = [];
    const error = await runSpec(kernel, {
      input: { request: 'write a note' },
      spawn: { limits: { maxCostUsd: 0.003 } },
      confirmDirective: async (directive) => {
        confirmed.push(directive);
        return directive;
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BudgetExceeded);
    expect((error as Error).message).toMatch(/cost budget/);
    expect(confirmed).toEqual([]);
    expect(mock.requests).toHaveLength(1);
  });

  it('is refused before it is sent when the limit cannot pay for it', async () => {
    const { kernel, mock } = await testKernel([
      { reply: { text: JSON.stringify(DIRECTIVE) }, times: 'always' },
    ]);
    const error = await runSpec(kernel, {
      input: { request: 'write a note' },
      spawn: { limits: { maxCostUsd: 0.000_000_1 } },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BudgetExceeded);
    expect(mock.requests).toHaveLength(0);
  });

  it('runs as before within the limit', async () => {
    const { kernel, mock } = await testKernel([
      { reply: { text: JSON.stringify(DIRECTIVE) } },
      { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'a.txt', content: 'x\n' } }] } },
      { reply: { text: 'done' } },
    ]);
    const outcome = await runSpec(kernel, {
      input: { request: 'write a note' },
      spawn: { limits: { maxCostUsd: 1 } },
    });
    expect(outcome.passed).toBe(true);
    expect(outcome.costUsd).toBeGreaterThan(0);
    expect(mock.requests).toHaveLength(3);
  });
});
