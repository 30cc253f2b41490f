/**
 * Responses API stream events → StreamEvents. Items are keyed on `output_index`, never on
 * their ids: some compatible endpoints (GitHub Copilot) send a different id on every event.
 */
import type { FinishReason, ModelEvent, Usage } from '@oxydra/types';
import { InStreamError, streamEndedEarly } from '../../shared/errors.js';
import { field, makeUsage, ToolCallAssembler } from '../../shared/events.js';
import type { ResponsesStreamEvent } from './types.js';

function responsesUsage(usage: unknown): Usage {
  return makeUsage(
    {
      inputTokens: field(usage, 'input_tokens'),
      outputTokens: field(usage, 'output_tokens'),
      totalTokens: field(usage, 'total_tokens'),
      cacheReadTokens: field(usage, 'input_tokens_details', 'cached_tokens'),
      cacheWriteTokens: field(usage, 'input_tokens_details', 'cache_write_tokens'),
      reasoningTokens: field(usage, 'output_tokens_details', 'reasoning_tokens'),
    },
    usage,
  );
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** Loosely typed view of the items and responses in events (compatible servers vary). */
interface WireItem {
  type?: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  encrypted_content?: string | null;
}

interface WireResponse {
  id?: string;
  status?: string;
  usage?: unknown;
  error?: { code?: string; message?: string } | null;
  incomplete_details?: { reason?: string } | null;
}

export class ResponsesStreamTranslator {
  private readonly tools = new ToolCallAssembler();
  /** output_index → tool-call index. */
  private readonly calls = new Map<number, number>();
  private refused = false;
  private terminal: { status: string; reason: string | undefined; usage: unknown } | undefined;
  /** The id of this response, for previous_response_id chaining. */
  responseId: string | undefined;

  get completed(): boolean {
    return this.terminal?.status === 'completed';
  }

  handle(event: ResponsesStreamEvent): ModelEvent[] {
    const data = event as unknown as Record<string, unknown>;
    const outputIndex = typeof data.output_index === 'number' ? data.output_index : 0;
    switch (event.type) {
      case 'response.created':
      case 'response.in_progress':
        this.responseId = (data.response as WireResponse | undefined)?.id ?? this.responseId;
        return [];
      case 'response.output_item.added':
        return this.itemAdded(outputIndex, data.item as WireItem);
      case 'response.output_item.done':
        return this.itemDone(outputIndex, data.item as WireItem);
      case 'response.output_text.delta':
        return event.delta === '' ? [] : [{ type: 'text_delta', text: event.delta }];
      case 'response.refusal.delta':
        this.refused = true;
        return event.delta === '' ? [] : [{ type: 'text_delta', text: event.delta }];
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return event.delta === '' ? [] : [{ type: 'reasoning_delta', text: event.delta }];
      case 'response.function_call_arguments.delta': {
        const index = this.calls.get(outputIndex);
        return index === undefined ? [] : this.tools.update(index, { argumentsDelta: event.delta });
      }
      case 'response.function_call_arguments.done':
        return this.argumentsFallback(outputIndex, event.arguments);
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        return this.finishWith(data.response as WireResponse);
      case 'error':
        // An error event carrying an `error` object was thrown by the reader (as the SDK did); this
        // catches the flat shape (`{type: "error", code, message}`) that reaches the translator.
        throw new InStreamError(stringOr(event.message, 'the response failed'), {
          ...(event.code ? { code: event.code } : {}),
        });
      default:
        return [];
    }
  }

  end(): ModelEvent[] {
    const terminal = this.terminal;
    if (terminal === undefined) throw streamEndedEarly('response.completed arrived');
    const events: ModelEvent[] = [...this.tools.endAll()];
    if (terminal.usage !== undefined && terminal.usage !== null) {
      events.push({ type: 'usage', usage: responsesUsage(terminal.usage) });
    }
    const rawReason =
      terminal.reason === undefined ? terminal.status : `${terminal.status}:${terminal.reason}`;
    events.push({ type: 'finish', reason: this.normalise(terminal.status, terminal.reason), rawReason });
    return events;
  }

  private itemAdded(outputIndex: number, item: WireItem): ModelEvent[] {
    if (item?.type !== 'function_call') return [];
    const index = this.tools.size;
    this.calls.set(outputIndex, index);
    const update: { id?: string; name?: string; argumentsDelta?: string } = { name: item.name ?? '' };
    if (item.call_id) update.id = item.call_id;
    if (item.arguments) update.argumentsDelta = item.arguments;
    return this.tools.update(index, update);
  }

  private itemDone(outputIndex: number, item: WireItem): ModelEvent[] {
    if (item?.type === 'reasoning') {
      // Marks the end of the reasoning block, with what replaying it needs.
      const event: ModelEvent = { type: 'reasoning_delta', text: '' };
      if (item.id) event.id = item.id;
      if (item.encrypted_content) event.encrypted = item.encrypted_content;
      return [event];
    }
    if (item?.type !== 'function_call') return [];
    let index = this.calls.get(outputIndex);
    const events: ModelEvent[] = [];
    if (index === undefined) {
      // A server that skipped output_item.added.
      index = this.tools.size;
      this.calls.set(outputIndex, index);
      events.push(
        ...this.tools.update(index, { name: item.name ?? '', ...(item.call_id ? { id: item.call_id } : {}) }),
      );
    }
    events.push(...this.argumentsFallback(outputIndex, item.arguments));
    events.push(...this.tools.end(index));
    return events;
  }

  /** Servers that send arguments only in the `.done` events, not as deltas. */
  private argumentsFallback(outputIndex: number, text: string | undefined): ModelEvent[] {
    const index = this.calls.get(outputIndex);
    if (index === undefined || !text || this.tools.argumentsOf(index) !== '') return [];
    return this.tools.update(index, { argumentsDelta: text });
  }

  private finishWith(response: WireResponse | undefined): ModelEvent[] {
    const status = response?.status ?? 'completed';
    if (response?.id) this.responseId = response.id;
    if (status === 'failed') {
      const error = response?.error;
      throw new InStreamError(stringOr(error?.message, 'the response failed'), {
        ...(error?.code ? { code: error.code } : {}),
      });
    }
    this.terminal = {
      status,
      reason: response?.incomplete_details?.reason ?? undefined,
      usage: response?.usage,
    };
    return [];
  }

  private normalise(status: string, reason: string | undefined): FinishReason {
    if (status === 'completed') {
      if (this.refused) return 'refusal';
      return this.tools.size > 0 ? 'tool_calls' : 'stop';
    }
    if (status === 'incomplete') {
      if (reason === 'max_output_tokens') return 'length';
      if (reason === 'content_filter') return 'content_filter';
    }
    return 'other';
  }
}
