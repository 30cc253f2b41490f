/**
 * The fake Bot API's updates, both ways Telegram hands them out: getUpdates (an offset confirms
 * earlier updates, timeout long-polls, a second poll ends the first with 409) and a webhook
 * (setWebhook: each update POSTed with the secret token header, one at a time, again until it
 * is answered 2xx). It keeps when getUpdates first handed out each update (`deliveredAt`).
 */
import type { IncomingMessage } from 'node:http';
import type { TgUpdate } from './types.js';

interface Waiter {
  offset: number;
  limit: number;
  finish: (status: number, body: unknown) => void;
}

export type Answer = (status: number, body: unknown) => void;

export class UpdateQueue {
  /** Webhook mode: every POST of an update to the webhook, with the status it got (0: no answer). */
  readonly deliveries: { updateId: number; status: number }[] = [];
  /** Set by setWebhook, cleared by deleteWebhook. */
  webhook: { url: string; secret?: string } | undefined;
  readonly #updates: TgUpdate[] = [];
  readonly #deliveredAt = new Map<number, number>();
  #nextUpdateId = 1;
  #confirmed = 0;
  #waiter: Waiter | undefined;
  #delivering = false;
  #closed = false;

  /** The update_id the next update gets. */
  get nextId(): number {
    return this.#nextUpdateId;
  }

  /** The highest update_id the bot has confirmed. */
  get confirmed(): number {
    return this.#confirmed;
  }

  /** Updates not yet confirmed. */
  get pending(): number {
    return this.#updates.length;
  }

  deliveredAt(updateId: number): number | undefined {
    return this.#deliveredAt.get(updateId);
  }

  /** A new update: to the waiting long poll, or to the webhook. */
  push(update: Omit<TgUpdate, 'update_id'>): number {
    const full = { update_id: this.#nextUpdateId++, ...update } as TgUpdate;
    this.#updates.push(full);
    if (this.webhook) {
      void this.deliver();
      return full.update_id;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.finish(200, { ok: true, result: this.#take(waiter.offset, waiter.limit) });
    }
    return full.update_id;
  }

  close(): void {
    this.#closed = true;
    this.#waiter?.finish(200, { ok: true, result: [] });
  }

  /** getUpdates: what is there, else a long poll until an update comes or `timeout` seconds pass. */
  getUpdates(params: Record<string, unknown>, req: IncomingMessage, answer: Answer): void {
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Math.max(0, Number(params.timeout ?? 0));
    // Telegram ends a long poll still waiting when another one arrives.
    this.#waiter?.finish(409, {
      ok: false,
      error_code: 409,
      description:
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    });
    this.#waiter = undefined;
    const ready = this.#take(offset, limit);
    if (ready.length > 0 || timeout === 0) {
      answer(200, { ok: true, result: ready });
      return;
    }
    const timer = setTimeout(() => waiter.finish(200, { ok: true, result: [] }), timeout * 1000);
    // The bot went away (killed, or it aborted the poll): nobody to answer.
    const gone = () => {
      clearTimeout(timer);
      if (this.#waiter === waiter) this.#waiter = undefined;
    };
    const waiter: Waiter = {
      offset,
      limit,
      finish: (status, body) => {
        clearTimeout(timer);
        // A kept-alive socket carries many polls: each takes its listener with it.
        req.socket.off('close', gone);
        if (this.#waiter === waiter) this.#waiter = undefined;
        answer(status, body);
      },
    };
    this.#waiter = waiter;
    req.socket.once('close', gone);
  }

  /**
   * Webhook mode: POSTs the oldest update until the webhook answers 2xx, then the next (Telegram
   * with max_connections 1); a refusal or no answer is tried again a little later.
   */
  async deliver(): Promise<void> {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (this.webhook && this.#updates.length > 0 && !this.#closed) {
        const update = this.#updates[0]!;
        const { url, secret } = this.webhook;
        const status = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}),
          },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(60_000),
        }).then(
          async (response) => {
            await response.arrayBuffer().catch(() => {});
            return response.status;
          },
          () => 0,
        );
        this.deliveries.push({ updateId: update.update_id, status });
        if (status >= 200 && status < 300) {
          if (this.#updates[0] === update) this.#updates.shift();
          this.#confirmed = Math.max(this.#confirmed, update.update_id);
        } else await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      this.#delivering = false;
    }
  }

  /** getUpdates' answer: an offset confirms (forgets) every update before it. */
  #take(offset: number, limit: number): TgUpdate[] {
    if (offset > 0) {
      while (this.#updates.length > 0 && this.#updates[0]!.update_id < offset) this.#updates.shift();
      this.#confirmed = Math.max(this.#confirmed, offset - 1);
    }
    const batch = this.#updates.slice(0, limit);
    const now = performance.now();
    for (const update of batch)
      if (!this.#deliveredAt.has(update.update_id)) this.#deliveredAt.set(update.update_id, now);
    return batch;
  }
}
