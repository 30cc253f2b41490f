/** Anthropic Messages stream events → StreamEvents. */

import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages/messages';
import type { FinishReason, ModelEvent, Usage } from '@oxydra/types';
import { InStreamError, streamEndedEarly } from '../../shared/errors.js';
import { field, makeUsage, sumReported, ToolCallAssembler } from '../../shared/events.js';

/**
 * Anthropic's input_tokens excludes cache reads and writes; Usage.inputTokens counts every
 * prompt token, so they are added back.
 */
function anthropicUsage(raw: Record<string, unknown>): Usage {
  const input = field(raw, 'input_tokens');
  const cacheRead = field(raw, 'cache_read_input_tokens');
  const cacheWrite = field(raw, 'cache_creation_input_tokens');
  return makeUsage(
    {
      inputTokens: sumReported(input, cacheRead, cacheWrite),
      outputTokens: field(raw, 'output_tokens'),
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
      reasoningTokens: field(raw, 'output_tokens_details', 'thinking_tokens'),
    },
    raw,
  );
}

function normalise(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'refusal';
    default:
      return 'other';
  }
}

type BlockKind = { kind: 'text' | 'thinking' | 'other' } | { kind: 'tool'; index: number; input: unknown };

export class AnthropicStreamTranslator {
  private readonly tools = new ToolCallAssembler();
  private readonly blocks = new Map<number, BlockKind>();
  /** message_start usage overlaid by message_delta usage: later values win. */
  private usage: Record<string, unknown> | undefined;
  private stopReason: string | null | undefined;
  private stopDetails: Record<string, unknown> | undefined;
  private stopped = false;

  handle(event: RawMessageStreamEvent): ModelEvent[] {
    switch (event.type) {
      case 'message_start':
        this.usage = { ...(event.message.usage as object) };
        return [];
      case 'content_block_start':
        return this.blockStart(event.index, event.content_block as unknown as Record<string, unknown>);
      case 'content_block_delta':
        return this.blockDelta(event.index, event.delta as unknown as Record<string, unknown>);
      case 'content_block_stop':
        return this.blockStop(event.index);
      case 'message_delta': {
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        const details = (event.delta as { stop_details?: unknown }).stop_details;
        if (typeof details === 'object' && details !== null)
          this.stopDetails = details as Record<string, unknown>;
        this.overlayUsage(event.usage as unknown as Record<string, unknown>);
        return [];
      }
      case 'message_stop':
        this.stopped = true;
        return [];
      default: {
        // An `error` event the SDK did not turn into an exception.
        const data = event as unknown as { type?: string; error?: { type?: string; message?: string } };
        if (data.type === 'error') {
          throw new InStreamError(data.error?.message ?? 'the stream reported an error', {
            ...(data.error?.type ? { type: data.error.type } : {}),
          });
        }
        return [];
      }
    }
  }

  end(): ModelEvent[] {
    if (!this.stopped) throw streamEndedEarly('message_stop arrived');
    const events: ModelEvent[] = [...this.tools.endAll()];
    if (this.usage !== undefined) events.push({ type: 'usage', usage: anthropicUsage(this.usage) });
    const finish: ModelEvent = {
      type: 'finish',
      reason: normalise(this.stopReason),
      rawReason: this.stopReason ?? null,
    };
    if (this.stopDetails !== undefined) finish.details = this.stopDetails;
    events.push(finish);
    return events;
  }

  private overlayUsage(usage: Record<string, unknown> | undefined): void {
    if (usage === undefined || usage === null) return;
    const merged: Record<string, unknown> = { ...this.usage };
    for (const [key, value] of Object.entries(usage)) {
      // message_delta may carry null for what it does not restate.
      if (value !== null && value !== undefined) merged[key] = value;
    }
    this.usage = merged;
  }

  private blockStart(position: number, block: Record<string, unknown>): ModelEvent[] {
    switch (block.type) {
      case 'text': {
        this.blocks.set(position, { kind: 'text' });
        const text = typeof block.text === 'string' ? block.text : '';
        return text === '' ? [] : [{ type: 'text_delta', text }];
      }
      case 'thinking': {
        this.blocks.set(position, { kind: 'thinking' });
        const text = typeof block.thinking === 'string' ? block.thinking : '';
        return text === '' ? [] : [{ type: 'reasoning_delta', text }];
      }
      case 'redacted_thinking':
        this.blocks.set(position, { kind: 'other' });
        return [{ type: 'reasoning_delta', text: '', encrypted: String(block.data ?? '') }];
      case 'tool_use': {
        const index = this.tools.size;
        this.blocks.set(position, { kind: 'tool', index, input: block.input });
        return this.tools.update(index, { id: String(block.id ?? ''), name: String(block.name ?? '') });
      }
      default:
        // Server tools and their results are run by Anthropic, not by us.
        this.blocks.set(position, { kind: 'other' });
        return [];
    }
  }

  private blockDelta(position: number, delta: Record<string, unknown>): ModelEvent[] {
    const block = this.blocks.get(position);
    switch (delta.type) {
      case 'text_delta':
        return typeof delta.text === 'string' && delta.text !== ''
          ? [{ type: 'text_delta', text: delta.text }]
          : [];
      case 'thinking_delta':
        return typeof delta.thinking === 'string' && delta.thinking !== ''
          ? [{ type: 'reasoning_delta', text: delta.thinking }]
          : [];
      case 'signature_delta':
        return [{ type: 'reasoning_delta', text: '', signature: String(delta.signature ?? '') }];
      case 'input_json_delta':
        if (block?.kind !== 'tool' || typeof delta.partial_json !== 'string') return [];
        return this.tools.update(block.index, { argumentsDelta: delta.partial_json });
      default:
        return [];
    }
  }

  private blockStop(position: number): ModelEvent[] {
    const block = this.blocks.get(position);
    if (block?.kind !== 'tool') return [];
    // Arguments normally stream as deltas; a block that carried its input whole still counts.
    const input = block.input;
    const whole =
      this.tools.argumentsOf(block.index) === '' && typeof input === 'object' && input !== null
        ? JSON.stringify(input)
        : '';
    return this.tools.end(block.index, whole !== '' && whole !== '{}' ? { argumentsDelta: whole } : {});
  }
}
