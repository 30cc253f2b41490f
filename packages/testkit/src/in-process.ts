/**
 * In-process providers for tests and benchmarks (the AI SDK's MockLanguageModel, for Oxydra):
 * `scriptedProvider` answers each model call from a script — a list of replies taken in order,
 * or a function of the call — with exactly the StreamEvents a wire adapter yields, and records
 * every call; `instantProvider` answers at once, for measuring everything around the model.
 * `scriptedAdapters` makes either the answer of every provider type, so code that builds its
 * providers from configuration (openKernel's `adapters`, createProvider's) uses it.
 */
import {
  type Context,
  type ModelEvent,
  PROVIDER_TYPES,
  type Provider,
  type ProviderType,
  type StreamOptions,
  type Usage,
} from '@oxydra/types';

/** One reply: text (streamed a word a delta), tool calls, usage. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: {
    id?: string;
    name: string;
    arguments: Record<string, unknown>;
    /** The argument text as sent, instead of JSON.stringify(arguments): with parseError, invalid JSON. */
    raw?: string;
    /** Why `raw` does not parse: the end event then carries it and empty arguments. */
    parseError?: string;
  }[];
  usage?: Usage;
}

/** A model call as the script sees it. */
export interface ScriptedCall {
  context: Context;
  /** Aborted when the caller gives up (a cancelled run, a timeout). */
  signal: AbortSignal;
  /** 0-based, over every call to this provider. */
  index: number;
  /** The options as the caller passed them (undefined when it passed none). */
  options?: StreamOptions;
}

/** A function of the call yielding provider events, or replies taken in order (the last repeats). */
export type Script =
  | ((call: ScriptedCall) => AsyncIterable<ModelEvent> | Iterable<ModelEvent>)
  | ScriptedReply[];

export interface ScriptedProvider extends Provider {
  /** Every call received, in order. */
  readonly calls: ScriptedCall[];
  /** The script; replace it between calls to change what the model does next. */
  script: Script;
}

/** The events a wire adapter yields for `reply`: text deltas, tool-call start/delta/end, usage, finish. */
export function replyEvents(reply: ScriptedReply, callIndex = 0): ModelEvent[] {
  const events: ModelEvent[] = [];
  for (const piece of (reply.text ?? '').split(/(?= )/)) {
    if (piece !== '') events.push({ type: 'text_delta', text: piece });
  }
  (reply.toolCalls ?? []).forEach((call, index) => {
    const id = call.id ?? `call_scripted_${callIndex}_${index}`;
    const raw = call.raw ?? JSON.stringify(call.arguments);
    events.push({ type: 'tool_call_start', index, id, name: call.name });
    events.push({ type: 'tool_call_delta', index, argumentsDelta: raw });
    events.push({
      type: 'tool_call_end',
      index,
      id,
      name: call.name,
      arguments: call.parseError !== undefined ? {} : call.arguments,
      rawArguments: raw,
      ...(call.parseError !== undefined ? { parseError: call.parseError } : {}),
    });
  });
  if (reply.usage) events.push({ type: 'usage', usage: { ...reply.usage } });
  const tools = (reply.toolCalls ?? []).length > 0;
  events.push({
    type: 'finish',
    reason: tools ? 'tool_calls' : 'stop',
    rawReason: tools ? 'tool_calls' : 'stop',
  });
  return events;
}

export function scriptedProvider(
  script: Script,
  options: { name?: string; type?: ProviderType } = {},
): ScriptedProvider {
  const calls: ScriptedCall[] = [];
  const provider: ScriptedProvider = {
    name: options.name ?? 'scripted',
    type: options.type ?? 'openai',
    calls,
    script,
    stream(context: Context, streamOptions?: StreamOptions): AsyncIterable<ModelEvent> {
      const call: ScriptedCall = {
        context,
        signal: streamOptions?.signal ?? new AbortController().signal,
        index: calls.length,
        ...(streamOptions !== undefined ? { options: streamOptions } : {}),
      };
      calls.push(call);
      const current = provider.script;
      if (typeof current === 'function') return toAsync(current(call));
      const reply = current[Math.min(call.index, current.length - 1)];
      if (!reply) throw new Error('scriptedProvider: the script has no replies');
      return toAsync(replyEvents(reply, call.index));
    },
  };
  return provider;
}

/** Answers every call at once with `text` and fixed usage: no timers, no I/O, little allocation. */
export function instantProvider(text = 'ok'): Provider {
  const events: ModelEvent[] = [
    { type: 'text_delta', text },
    { type: 'usage', usage: { inputTokens: 20, outputTokens: 1 } },
    { type: 'finish', reason: 'stop', rawReason: 'stop' },
  ];
  return {
    name: 'instant',
    type: 'openai',
    async *stream() {
      yield* events;
    },
  };
}

/** Every provider type built as `provider`: pass as `adapters` to openKernel or createProvider. */
export function scriptedAdapters(provider: Provider): Record<ProviderType, () => Provider> {
  return Object.fromEntries(PROVIDER_TYPES.map((type) => [type, () => provider])) as Record<
    ProviderType,
    () => Provider
  >;
}

async function* toAsync(events: AsyncIterable<ModelEvent> | Iterable<ModelEvent>): AsyncIterable<ModelEvent> {
  yield* events;
}
