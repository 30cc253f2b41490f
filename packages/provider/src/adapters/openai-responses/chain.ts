/**
 * `previous_response_id` chaining: the server keeps the conversation of a stored response, so
 * when a new context only extends the last one we send just the new items. The last exchange
 * is remembered as the exact input items sent plus the items the answer becomes when replayed;
 * a context that does not start with exactly those (edited history, another conversation on
 * the same provider, a different model) is sent in full. A server that rejects a chained
 * request (no storage, zero-data-retention, a compatible endpoint without the feature) turns
 * chaining off for this provider, so later turns do not pay for a failed request each time.
 */
import type { ResponsesInputItem } from './types.js';

export interface ChainPlan {
  items: ResponsesInputItem[];
  previousResponseId?: string;
}

interface Exchange {
  model: string;
  responseId: string;
  /** JSON of every item the server has for this response: input, then output. */
  items: string[];
}

export class ResponseChain {
  private last: Exchange | undefined;
  private disabled = false;

  plan(model: string, items: ResponsesInputItem[]): ChainPlan {
    const last = this.last;
    if (this.disabled || last === undefined || last.model !== model || items.length <= last.items.length)
      return { items };
    for (let i = 0; i < last.items.length; i++) {
      if (JSON.stringify(items[i]) !== last.items[i]) return { items };
    }
    return { items: items.slice(last.items.length), previousResponseId: last.responseId };
  }

  remember(
    model: string,
    responseId: string,
    input: ResponsesInputItem[],
    output: ResponsesInputItem[],
  ): void {
    this.last = { model, responseId, items: [...input, ...output].map((item) => JSON.stringify(item)) };
  }

  forget(): void {
    this.last = undefined;
  }

  /** The server refused a previous_response_id: stop chaining. */
  disable(): void {
    this.disabled = true;
    this.last = undefined;
  }
}
