/**
 * The Responses API spelling of a turn: output items (a `reasoning` item with a summary, a
 * `message` with one output_text part), opened and closed as the kind of text changes, streamed
 * as the typed events clients read (response.created ... response.completed / response.failed).
 * The same items make the non-streamed body, so both agree.
 *
 * A failed stream must not be re-run by the client once a tool ran (issue 31's client matrix):
 * - the AI SDK (@ai-sdk/openai) reads a stream up to its first output item and takes a
 *   response.failed before any as a retryable 500, so the answer's message item is opened when
 *   the first tool starts, before anything can fail;
 * - the openai SDK's stream (and so LangChain's useResponsesApi streaming) ignores
 *   response.failed but raises any event carrying an `error` object, so response.failed is
 *   followed by an `error` event (the Responses API's own error event, with that object).
 */
import { randomUUID } from 'node:crypto';
import type { Dialect, TurnAnswer } from './agent-turn.js';
import { responsesUsage } from './agent-turn.js';
import { errorBody } from './reply-error.js';
import type { SseWriter } from './sse.js';
import type { HttpFailure } from './turn-failure.js';

export interface ResponsesMeta {
  id: string;
  created_at: number;
  model: string;
}

type Kind = 'message' | 'reasoning';
interface Item {
  kind: Kind;
  id: string;
  text: string;
}

function itemJson(item: Item, status: string) {
  return item.kind === 'message'
    ? {
        type: 'message',
        id: item.id,
        role: 'assistant',
        status,
        content: [{ type: 'output_text', text: item.text, annotations: [], logprobs: [] }],
      }
    : { type: 'reasoning', id: item.id, summary: [{ type: 'summary_text', text: item.text }] };
}

export class ResponsesDialect implements Dialect {
  readonly #items: Item[] = [];
  #current: Item | undefined;
  #sequence = 0;

  constructor(private readonly meta: ResponsesMeta) {}

  start(sse: SseWriter): void {
    this.#event(sse, 'response.created', { response: this.#response('in_progress') });
    this.#event(sse, 'response.in_progress', { response: this.#response('in_progress') });
  }

  text(delta: string, sse?: SseWriter): void {
    const item = this.#switchTo('message', sse);
    item.text += delta;
    if (sse)
      this.#event(sse, 'response.output_text.delta', {
        ...this.#where(item),
        content_index: 0,
        delta,
        logprobs: [],
      });
  }

  reasoning(delta: string, sse?: SseWriter): void {
    const item = this.#switchTo('reasoning', sse);
    item.text += delta;
    if (sse)
      this.#event(sse, 'response.reasoning_summary_text.delta', {
        ...this.#where(item),
        summary_index: 0,
        delta,
      });
  }

  toolStarting(sse: SseWriter): void {
    if (this.#items.length === 0 && this.#current === undefined) this.#switchTo('message', sse);
  }

  completed(answer: TurnAnswer, sse: SseWriter): void {
    this.#close(sse);
    const body = this.body(answer);
    this.#event(sse, body.status === 'incomplete' ? 'response.incomplete' : 'response.completed', {
      response: body,
    });
  }

  failed(failure: HttpFailure, sse: SseWriter): void {
    this.#close(sse);
    this.#event(sse, 'response.failed', {
      response: this.#response('failed', { error: { code: failure.code, message: failure.message } }),
    });
    this.#event(sse, 'error', {
      code: failure.code,
      message: failure.message,
      param: null,
      ...errorBody(failure.status, failure.code, failure.message),
    });
  }

  body(answer: TurnAnswer) {
    this.#close();
    const incomplete = answer.finish === 'length';
    return this.#response(incomplete ? 'incomplete' : 'completed', {
      ...(incomplete ? { incomplete_details: { reason: 'max_output_tokens' } } : {}),
      usage: responsesUsage(answer.end.usage),
    });
  }

  #response(status: string, extra: Record<string, unknown> = {}) {
    return {
      id: this.meta.id,
      object: 'response',
      created_at: this.meta.created_at,
      model: this.meta.model,
      status,
      error: null,
      incomplete_details: null,
      output: this.#items.map((item) => itemJson(item, 'completed')),
      ...extra,
    };
  }

  #where(item: Item) {
    return { item_id: item.id, output_index: this.#items.length };
  }

  #switchTo(kind: Kind, sse?: SseWriter): Item {
    if (this.#current?.kind === kind) return this.#current;
    this.#close(sse);
    const item: Item = {
      kind,
      id: `${kind === 'message' ? 'msg' : 'rs'}_${randomUUID().replaceAll('-', '')}`,
      text: '',
    };
    this.#current = item;
    if (sse) {
      this.#event(sse, 'response.output_item.added', {
        output_index: this.#items.length,
        item: itemJson(item, 'in_progress'),
      });
      if (kind === 'message')
        this.#event(sse, 'response.content_part.added', {
          ...this.#where(item),
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [] },
        });
      else
        this.#event(sse, 'response.reasoning_summary_part.added', {
          ...this.#where(item),
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        });
    }
    return item;
  }

  #close(sse?: SseWriter): void {
    const item = this.#current;
    if (!item) return;
    if (sse) {
      if (item.kind === 'message') {
        this.#event(sse, 'response.output_text.done', {
          ...this.#where(item),
          content_index: 0,
          text: item.text,
          logprobs: [],
        });
        this.#event(sse, 'response.content_part.done', {
          ...this.#where(item),
          content_index: 0,
          part: { type: 'output_text', text: item.text, annotations: [] },
        });
      } else {
        this.#event(sse, 'response.reasoning_summary_text.done', {
          ...this.#where(item),
          summary_index: 0,
          text: item.text,
        });
        this.#event(sse, 'response.reasoning_summary_part.done', {
          ...this.#where(item),
          summary_index: 0,
          part: { type: 'summary_text', text: item.text },
        });
      }
      this.#event(sse, 'response.output_item.done', {
        output_index: this.#items.length,
        item: itemJson(item, 'completed'),
      });
    }
    this.#items.push(item);
    this.#current = undefined;
  }

  #event(sse: SseWriter, type: string, fields: Record<string, unknown>): void {
    sse.open(); // opening writes response.created first: it takes the earlier sequence number
    sse.send({ type, sequence_number: this.#sequence++, ...fields }, type);
  }
}
