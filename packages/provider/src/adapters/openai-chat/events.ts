/**
 * Chat Completions stream chunks → StreamEvents. Pure and synchronous: one chunk in, the
 * events it completes out; `end()` when the stream closed.
 */
import type { FinishReason, ModelEvent, Usage } from '@oxydra/types';
import { streamEndedEarly } from '../../shared/errors.js';
import { field, makeUsage, ToolCallAssembler } from '../../shared/events.js';
import type { ChatCompletion, ChatCompletionChunk } from './types.js';

/** Fields compatible servers add to the delta (DeepSeek `reasoning_content`, vLLM/OpenRouter `reasoning`). */
interface DeltaExtras {
  reasoning_content?: unknown;
  reasoning?: unknown;
}

function chatUsage(usage: unknown): Usage {
  return makeUsage(
    {
      inputTokens: field(usage, 'prompt_tokens'),
      outputTokens: field(usage, 'completion_tokens'),
      totalTokens: field(usage, 'total_tokens'),
      cacheReadTokens: field(usage, 'prompt_tokens_details', 'cached_tokens'),
      reasoningTokens: field(usage, 'completion_tokens_details', 'reasoning_tokens'),
    },
    usage,
  );
}

function normalise(raw: string, madeCalls: boolean): FinishReason {
  switch (raw) {
    case 'stop':
      // Some compatible servers (Ollama, llama.cpp) say "stop" after tool calls.
      return madeCalls ? 'tool_calls' : 'stop';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

export class ChatStreamTranslator {
  private readonly tools = new ToolCallAssembler();
  /** Wire index → our index; a server reusing an index for a new call id gets a fresh one. */
  private readonly indexes = new Map<number, { index: number; id: string | undefined }>();
  private finishReason: string | undefined;
  private usage: Usage | undefined;

  handle(chunk: ChatCompletionChunk): ModelEvent[] {
    const events: ModelEvent[] = [];
    if (chunk.usage) this.usage = chatUsage(chunk.usage);
    const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
    if (choice === undefined) return events;
    const delta = choice.delta ?? {};
    const extras = delta as DeltaExtras;
    const reasoning =
      typeof extras.reasoning_content === 'string' ? extras.reasoning_content : extras.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '')
      events.push({ type: 'reasoning_delta', text: reasoning });
    if (typeof delta.content === 'string' && delta.content !== '') {
      events.push({ type: 'text_delta', text: delta.content });
    }
    for (const call of delta.tool_calls ?? []) {
      const index = this.indexFor(call.index ?? 0, call.id ?? undefined, call.function?.name ?? undefined);
      const update: { id?: string; name?: string; argumentsDelta?: string } = {};
      if (call.id) update.id = call.id;
      if (call.function?.name) update.name = call.function.name;
      if (call.function?.arguments) update.argumentsDelta = call.function.arguments;
      events.push(...this.tools.update(index, update));
    }
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      // The calls are complete once the model says why it stopped.
      events.push(...this.tools.endAll());
    }
    return events;
  }

  /** A non-streaming body (servers that ignore `stream: true`), as one big chunk. */
  handleCompletion(completion: ChatCompletion): ModelEvent[] {
    const choice = completion.choices?.[0];
    const message = choice?.message;
    const chunk = {
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      usage: completion.usage ?? null,
      choices:
        choice === undefined
          ? []
          : [
              {
                index: 0,
                finish_reason: choice.finish_reason,
                delta: {
                  ...(message as object),
                  tool_calls: (message?.tool_calls ?? []).map((call, index) => ({ index, ...call })),
                },
              },
            ],
    } as unknown as ChatCompletionChunk;
    return this.handle(chunk);
  }

  end(): ModelEvent[] {
    if (this.finishReason === undefined) throw streamEndedEarly('a finish_reason arrived');
    const events: ModelEvent[] = [...this.tools.endAll()];
    if (this.usage !== undefined) events.push({ type: 'usage', usage: this.usage });
    events.push({
      type: 'finish',
      reason: normalise(this.finishReason, this.tools.size > 0),
      rawReason: this.finishReason,
    });
    return events;
  }

  private indexFor(wireIndex: number, id: string | undefined, name: string | undefined): number {
    const known = this.indexes.get(wireIndex);
    const isNewCall = known !== undefined && id !== undefined && name !== undefined && known.id !== id;
    if (known !== undefined && !isNewCall) return known.index;
    const index = this.tools.size;
    this.indexes.set(wireIndex, { index, id });
    // Reserve the index now so the next new call cannot take it.
    this.tools.update(index, {});
    return index;
  }
}
