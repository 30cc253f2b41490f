/**
 * In-memory doubles for the reliability tests: a provider that plays a script per call, a
 * recording sleep, and a hand-moved clock. Nothing waits on the wall clock.
 */
import { scriptedProvider } from '@oxydra/testkit';
import {
  type Context,
  type ModelEvent,
  type Provider,
  ProviderError,
  type ProviderErrorKind,
  type ProviderType,
  type StreamOptions,
} from '@oxydra/types';

/** One call's script: events to yield, then optionally an error to throw. */
export type Step = ModelEvent | { throw: unknown } | { wait: Promise<void> };
export type Script = Step[];

export interface FakeProvider extends Provider {
  /** The context of every call, in order. */
  calls: Context[];
}

export function fakeProvider(name: string, scripts: Script[], type: ProviderType = 'openai'): FakeProvider {
  const calls: Context[] = [];
  let next = 0;
  // The testkit's scripted provider, played by a generator so that a call counts (and takes its
  // script) when its stream is first read, as an adapter's request goes out then.
  const scripted = scriptedProvider(
    async function* ({ context }) {
      calls.push(context);
      const script = scripts[next++];
      if (!script) throw new Error(`${name}: no script for call ${next}`);
      for (const step of script) {
        if ('throw' in step) throw step.throw;
        if ('wait' in step) await step.wait;
        else yield step;
      }
    },
    { name, type },
  );
  return { name, type, calls, stream: (context, options) => scripted.stream(context, options) };
}

export const text = (t: string): ModelEvent => ({ type: 'text_delta', text: t });
export const finish: ModelEvent = { type: 'finish', reason: 'stop' };
export const usage: ModelEvent = { type: 'usage', usage: { inputTokens: 10 } };
export const ok = (t = 'ok'): Script => [text(t), finish];

export function fail(
  kind: ProviderErrorKind,
  options: { retryAfterMs?: number; provider?: string; status?: number } = {},
): { throw: ProviderError } {
  return {
    throw: new ProviderError(`${options.provider ?? 'fake'}: ${kind}`, {
      kind,
      provider: options.provider ?? 'fake',
      ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      ...(options.status !== undefined ? { status: options.status } : {}),
    }),
  };
}

export const failing = (kind: ProviderErrorKind, options?: Parameters<typeof fail>[1]): Script => [
  fail(kind, options),
];

/** A clock the test moves by hand, and a sleep that records its waits and advances that clock. */
export function fakeTime() {
  const state = { now: 0, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
    },
    advance: (ms: number) => {
      state.now += ms;
    },
  };
}

export interface Collected {
  events: ModelEvent[];
  text: string;
  progress: string[];
  error?: unknown;
}

/** Drains a provider's stream, keeping the error instead of throwing it. */
export async function collect(
  provider: Provider,
  context: Partial<Context> = {},
  options?: StreamOptions,
): Promise<Collected> {
  const events: ModelEvent[] = [];
  const result: Collected = { events, text: '', progress: [] };
  try {
    for await (const event of provider.stream({ model: 'm', messages: [], ...context }, options)) {
      events.push(event);
    }
  } catch (error) {
    result.error = error;
  }
  result.text = events.map((e) => (e.type === 'text_delta' ? e.text : '')).join('');
  result.progress = events.flatMap((e) => (e.type === 'progress' ? [e.progress.message] : []));
  return result;
}
