/**
 * The provider contract at the type level: an adapter yields `ModelEvent`s only. Each
 * `@ts-expect-error` line below is checked by `tsc -p tsconfig.test.json` (npm run typecheck):
 * if a run event ever became yieldable by a provider, the directive would be unused and the
 * typecheck would fail. The runtime assertions keep the file a real test that vitest runs.
 */
import type { ModelEvent, Provider, RunEvent, StreamEvent } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { type AdapterCall, defineAdapter } from '../src/index.js';

const toolEnd: RunEvent = {
  type: 'tool_execution_end',
  id: 'c1',
  name: 'echo',
  isError: false,
  content: 'hi',
  durationMs: 1,
};
const runEnd: RunEvent = { type: 'run_completed', text: '', usage: {}, costUsd: null, turns: 1 };

describe('ModelEvent / RunEvent split', () => {
  it('a Provider cannot yield a run event', async () => {
    const bad: Provider = {
      name: 'bad',
      type: 'openai',
      // @ts-expect-error a provider's stream yields ModelEvent only; tool_execution_end is a RunEvent
      async *stream() {
        yield toolEnd;
      },
    };
    const good: Provider = {
      name: 'good',
      type: 'openai',
      async *stream() {
        yield { type: 'text_delta', text: 'hi' } satisfies ModelEvent;
      },
    };
    const seen: string[] = [];
    for await (const event of good.stream({ model: 'm', messages: [] })) seen.push(event.type);
    expect(seen).toEqual(['text_delta']);
    expect(bad.name).toBe('bad');
  });

  it("an adapter's wire stream (defineAdapter's run) cannot yield a run event", () => {
    const call = (): AdapterCall => ({
      describe: () => undefined,
      // @ts-expect-error AdapterCall.run yields ModelEvent only; run_completed is a RunEvent
      async *run() {
        yield runEnd;
      },
    });
    const provider = defineAdapter({ name: 'x', baseURL: 'http://127.0.0.1:1/v1' }, 'openai', call);
    expect(provider.type).toBe('openai');
  });

  it('a ModelEvent and a RunEvent are both StreamEvents (what the runtime emits)', () => {
    const events: StreamEvent[] = [{ type: 'usage', usage: {} }, toolEnd, runEnd];
    // @ts-expect-error a RunEvent is not a ModelEvent
    const asModel: ModelEvent = toolEnd;
    expect(events.map((e) => e.type)).toEqual(['usage', 'tool_execution_end', 'run_completed']);
    expect(asModel.type).toBe('tool_execution_end');
  });
});
