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

/** `items` are the input items' JSON texts (responsesInputJson), compared as they are sent. */
export interface ChainPlan {
  items: readonly string[];
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

  plan(model: string, items: readonly string[]): ChainPlan {
    const last = this.last;
    if (this.disabled || last === undefined || last.model !== model || items.length <= last.items.length)
      return { items };
    // The texts of messages sent before are the same strings (one per message object), so this
    // is mostly a pointer comparison; a context rebuilt from storage compares text.
    for (let i = 0; i < last.items.length; i++) {
      if (items[i] !== last.items[i]) return { items };
    }
    return { items: items.slice(last.items.length), previousResponseId: last.responseId };
  }

  remember(model: string, responseId: string, input: readonly string[], output: ResponsesInputItem[]): void {
    this.last = { model, responseId, items: [...input, ...output.map((item) => JSON.stringify(item))] };
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
