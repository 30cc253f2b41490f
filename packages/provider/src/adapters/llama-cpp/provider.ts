/**
 * The llama_cpp adapter: a GGUF model run in this process by node-llama-cpp. Text streams as the
 * library decodes it. Tools are offered through the library's function calling (the chat
 * wrapper of the model's family writes the calls, and a grammar keeps their parameters to the
 * tool's schema) or, with `tool_choice = "required"`, the first answer to each user message is
 * constrained by a JSON-schema grammar to `{"name": <tool>, "arguments": {...}}` for one of the
 * offered tools, and the answer after its result is text with no tools offered: one call per
 * user message, for small models that never decide to call a tool themselves (and whose
 * context the library's function documentation would crowd).
 */
import type { Context, ModelEvent, Provider, ToolSpec } from '@oxydra/types';
import type { GbnfJsonSchema, LlamaChatResponse } from 'node-llama-cpp';
import type { ErrorFacts } from '../../shared/errors.js';
import { type AdapterOptions, defineAdapter, type LocalModelSettings } from '../define.js';
import { type LoadedModel, loadLocalModel } from './engine.js';
import { EventChannel } from './event-channel.js';
import { answersUser, toChatFunctions, toChatHistory } from './history.js';
import { resolveLocalModel } from './locate.js';
import { toGrammarSchema } from './schema.js';
import { toolCallEvents } from './tool-calls.js';

export function createLlamaCppProvider(options: AdapterOptions): Provider {
  const settings: LocalModelSettings = options.local ?? {};
  return defineAdapter(options, 'llama_cpp', (context) => ({
    describe: describeLocalError,
    run: (signal) => generate(context, settings, signal),
  }));
}

/**
 * llama.cpp's errors happen in this process, not on a network: none is worth a retry. A history
 * that cannot fit the context is the one a user can act on (context_size, or a shorter chat).
 */
function describeLocalError(error: unknown): ErrorFacts | undefined {
  if (!(error instanceof Error)) return undefined;
  const overflow = /fit[s]? (in )?the context|context size|context shift/i.test(error.message);
  return { message: error.message, code: overflow ? 'context_length_exceeded' : 'invalid_request' };
}

async function* generate(
  context: Context,
  settings: LocalModelSettings,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent, void, undefined> {
  const loaded = await loadLocalModel(resolveLocalModel(context.model), settings);
  const tools = context.tools ?? [];
  const forced = settings.toolChoice === 'required' && tools.length > 0 && answersUser(context.messages);
  const channel = new EventChannel<ModelEvent>();
  void loaded
    .exclusive(async () => {
      const meter = loaded.chat.sequence.tokenMeter;
      const before = meter.getState();
      const events = forced
        ? await forcedCall(loaded, context, settings, tools, signal)
        : await answer(
            loaded,
            context,
            settings,
            settings.toolChoice === 'required' ? [] : tools,
            signal,
            channel,
          );
      const used = meter.diff(before);
      const usage: ModelEvent = {
        type: 'usage',
        usage: {
          inputTokens: used.usedInputTokens,
          outputTokens: used.usedOutputTokens,
          totalTokens: used.usedInputTokens + used.usedOutputTokens,
        },
      };
      // The finish event stays last, as every adapter sends it.
      return [...events.slice(0, -1), usage, ...events.slice(-1)];
    })
    .then(
      (events) => {
        for (const event of events) channel.push(event);
        channel.close();
      },
      (error: unknown) => channel.fail(error),
    );
  yield* channel;
}

function common(context: Context, settings: LocalModelSettings, signal: AbortSignal) {
  // Without a bound the library generates until the model's end token or a full context.
  const maxTokens = context.maxOutputTokens ?? settings.maxOutputTokens;
  return {
    signal,
    stopOnAbortSignal: false,
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(context.temperature !== undefined ? { temperature: context.temperature } : {}),
  };
}

/** A free answer: text streams as it comes; the library's function calling offers the tools. */
async function answer(
  loaded: LoadedModel,
  context: Context,
  settings: LocalModelSettings,
  tools: readonly ToolSpec[],
  signal: AbortSignal,
  channel: EventChannel<ModelEvent>,
): Promise<ModelEvent[]> {
  const history = toChatHistory(context.messages);
  const onTextChunk = (text: string) => {
    if (text !== '') channel.push({ type: 'text_delta', text });
  };
  const result: LlamaChatResponse<ReturnType<typeof toChatFunctions>> =
    tools.length > 0
      ? await loaded.chat.generateResponse(history, {
          ...common(context, settings, signal),
          onTextChunk,
          functions: toChatFunctions(tools),
        })
      : await loaded.chat.generateResponse(history, { ...common(context, settings, signal), onTextChunk });
  const calls = (result.functionCalls ?? []).map((call) => ({
    name: call.functionName,
    params: call.params,
  }));
  if (calls.length > 0)
    return [...toolCallEvents(calls), { type: 'finish', reason: 'tool_calls', rawReason: 'functionCalls' }];
  const reason = result.metadata.stopReason;
  return [{ type: 'finish', reason: reason === 'maxTokens' ? 'length' : 'stop', rawReason: reason }];
}

/** A call of one of the tools, the grammar allowing nothing else. */
async function forcedCall(
  loaded: LoadedModel,
  context: Context,
  settings: LocalModelSettings,
  tools: readonly ToolSpec[],
  signal: AbortSignal,
): Promise<ModelEvent[]> {
  const choices: GbnfJsonSchema[] = tools.map((tool) => ({
    type: 'object',
    properties: { name: { const: tool.name }, arguments: toGrammarSchema(tool.parameters) },
  }));
  const schema: GbnfJsonSchema = choices.length === 1 ? choices[0]! : { oneOf: choices };
  const grammar = await loaded.llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema);
  const result = await loaded.chat.generateResponse(toChatHistory(context.messages), {
    ...common(context, settings, signal),
    grammar,
  });
  if (result.metadata.stopReason === 'maxTokens') {
    // The output limit cut the call short: no call to make, say so as a cut answer.
    return [
      { type: 'text_delta', text: result.response },
      { type: 'finish', reason: 'length', rawReason: 'maxTokens' },
    ];
  }
  // The grammar admits only {"name": <an offered tool>, "arguments": ...}.
  const parsed: unknown = JSON.parse(result.response);
  const call = parsed as { name: string; arguments: unknown };
  return [
    ...toolCallEvents([{ name: call.name, params: call.arguments }]),
    { type: 'finish', reason: 'tool_calls', rawReason: 'grammar' },
  ];
}
