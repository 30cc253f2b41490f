// The first model call's reads (the stored summary, the recall for the prompt) go out while the
// prompt is being saved, not after: on a server store each is a round trip the turn would
// otherwise wait for one after the other (docs/postgres.md, "Eighth round").
import type { Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { startAgentRun } from '../src/index.js';
import { finish, runOptions, scriptedProvider } from './helpers.js';

/** A summary store, a recall hook and a persist hook that note the order they were called in. */
function tracedHooks(options: { failSave?: boolean } = {}) {
  const calls: string[] = [];
  let saveHeld: (() => void) | undefined;
  const asked = () => {
    if (calls.includes('summary') && calls.some((c) => c.startsWith('recall'))) saveHeld?.();
  };
  const persist = async (unit: Message[]) => {
    calls.push(`save ${unit[0]?.role}`);
    if (unit[0]?.role === 'user') {
      // Held until both reads were asked for, or a turn of the event loop showed they were not.
      await new Promise<void>((resolve) => {
        saveHeld = resolve;
        setImmediate(resolve);
      });
      calls.push('saved');
      if (options.failSave) throw new Error('disk full');
    }
  };
  const store = {
    load: async () => {
      calls.push('summary');
      asked();
      return undefined;
    },
    save: async () => true,
  };
  const recall = async (query: string) => {
    calls.push(`recall ${query}`);
    asked();
    return ['Ann prefers tabs'];
  };
  return { calls, persist, store, recall };
}

/** A run with the traced hooks and a summary store (its trigger never reached). */
function tracedRun(
  provider: ReturnType<typeof scriptedProvider>,
  hooks: ReturnType<typeof tracedHooks>,
  extra: { prompt?: string } = {},
) {
  const { persist, store, recall } = hooks;
  const summarization = { triggerRatio: 0.9, targetRatio: 0.5, minTurns: 4, store };
  return finish(startAgentRun(runOptions(provider, { persist, recall, summarization, ...extra })));
}

describe('the first model call reads beside the prompt save', () => {
  it('asks for the summary and the recall before the prompt is saved, and uses both', async () => {
    const hooks = tracedHooks();
    const { calls } = hooks;
    const provider = scriptedProvider([{ text: 'done' }]);
    const { result } = await tracedRun(provider, hooks, { prompt: 'format a.txt' });
    expect(result.status).toBe('completed');
    expect(calls.slice(0, 4)).toEqual(['save user', 'summary', 'recall format a.txt', 'saved']);
    // Asked once for the prompt: the model call took the answer already in flight.
    expect(calls.filter((c) => c.startsWith('recall'))).toHaveLength(1);
    expect(provider.contexts[0]?.messages[1]).toEqual({
      role: 'system',
      content: 'Relevant context from memory:\n- Ann prefers tabs',
    });
  });

  it('reports the failed save, after the reads have settled, and calls no model', async () => {
    const hooks = tracedHooks({ failSave: true });
    const { calls } = hooks;
    const provider = scriptedProvider([{ text: 'never' }]);
    const { result } = await tracedRun(provider, hooks);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('persistence_error');
    expect(result.error?.message).toContain('disk full');
    expect(provider.contexts).toHaveLength(0);
    expect(calls).toContain('summary');
  });
});
