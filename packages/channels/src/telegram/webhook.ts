/**
 * Telegram's webhook mode, the receiving half: an HTTP server Telegram POSTs each update to.
 * Telegram counts an update delivered when it gets a 2xx and sends it again otherwise, so the
 * answer is held until the host has stored the update (`acknowledge(cursor)`): a crash before
 * the store's commit leaves the request unanswered and Telegram delivers the update again. An
 * update at or before the stored cursor (a redelivery of one already stored) is answered at once.
 *
 * Untrusted: every request. Only POSTs to the webhook's path carrying the secret token given to
 * setWebhook (`X-Telegram-Bot-Api-Secret-Token`, compared in constant time) are read, bodies are
 * bounded, and a request is never told more than its status.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Update } from 'grammy/types';

/** Telegram's updates are a few KB; a message's text is at most 4096 characters. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** Updates waiting for receive() at most; past it Telegram is answered 429 and retries later. */
const MAX_BUFFERED = 1000;

export interface WebhookOptions {
  /** The path Telegram POSTs to (webhook_url's). */
  path: string;
  host: string;
  port: number;
  secret: string;
}

interface Held {
  update: Update;
  res: ServerResponse;
}

export class TelegramWebhookServer {
  readonly #o: WebhookOptions;
  readonly #secretDigest: Buffer;
  // A request that fails (its connection cut mid-body: the body's read rejects) is dropped; a
  // rejection left unhandled would end the whole process.
  readonly #server = createServer((req, res) => void this.#handle(req, res).catch(() => res.destroy()));
  /** Received, not yet given to receive(). */
  #buffered: Held[] = [];
  /** Given to receive(), answered when acknowledged. */
  #unacknowledged: Held[] = [];
  #wake: (() => void) | undefined;
  /** The stored cursor receive() was last given: updates at or before it are answered at once. */
  #stored = -1;

  constructor(options: WebhookOptions) {
    this.#o = options;
    this.#secretDigest = digest(options.secret);
  }

  async listen(): Promise<void> {
    this.#server.listen(this.#o.port, this.#o.host);
    await once(this.#server, 'listening');
  }

  /** The updates received after `cursor`, waiting until one comes or `signal` aborts. */
  async take(cursor: string | undefined, signal: AbortSignal): Promise<Update[]> {
    if (cursor !== undefined) this.#stored = Math.max(this.#stored, Number(cursor));
    this.#answerStored();
    if (this.#buffered.length === 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        // The listener goes with the wait: one left per update on a long-lived signal kept
        // every wait's closure (and an AbortSignal.any of it) alive for the process's life.
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.#wake = undefined;
      this.#answerStored();
    }
    const taken = this.#buffered.splice(0);
    this.#unacknowledged.push(...taken);
    return taken.map((held) => held.update);
  }

  /** The updates up to `cursor` are stored: Telegram is told (200). */
  acknowledge(cursor: string): void {
    this.#stored = Math.max(this.#stored, Number(cursor));
    this.#answerStored();
  }

  /** Stops listening; requests still held get no answer, so Telegram delivers them again. */
  async close(): Promise<void> {
    this.#wake?.();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close').catch(() => {});
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : this.#o.port;
  }

  #answerStored(): void {
    const done = (held: Held) => held.update.update_id <= this.#stored;
    for (const held of [...this.#unacknowledged, ...this.#buffered].filter(done)) answer(held.res, 200);
    this.#unacknowledged = this.#unacknowledged.filter((held) => !done(held));
    this.#buffered = this.#buffered.filter((held) => !done(held));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://webhook').pathname;
    if (req.method !== 'POST' || path !== this.#o.path) return answer(res, 404, req);
    const given = req.headers['x-telegram-bot-api-secret-token'];
    // Digests of equal length, so the comparison takes the same time whatever was sent.
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), this.#secretDigest))
      return answer(res, 401, req);
    if (Number(req.headers['content-length'] ?? 0) > MAX_WEBHOOK_BODY_BYTES) return answer(res, 413, req);
    if (this.#buffered.length >= MAX_BUFFERED) return answer(res, 429, req);
    const body = await readBounded(req, MAX_WEBHOOK_BODY_BYTES);
    if (body === undefined) return answer(res, 413, req);
    let update: Update;
    try {
      update = JSON.parse(body.toString('utf8')) as Update;
    } catch {
      return answer(res, 400);
    }
    if (typeof update !== 'object' || update === null || !Number.isSafeInteger(update.update_id))
      return answer(res, 400);
    // A redelivery of an update stored already: told at once; one waiting already: this request waits too.
    if (update.update_id <= this.#stored) return answer(res, 200);
    this.#buffered.push({ update, res });
    this.#buffered.sort((a, b) => a.update.update_id - b.update.update_id);
    this.#wake?.();
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Answers with a bare status; a request whose body was not read is closed after the answer. */
function answer(res: ServerResponse, status: number, unread?: IncomingMessage): void {
  if (res.writableEnded) return;
  res.writeHead(status, { 'content-length': 0, ...(unread ? { connection: 'close' } : {}) });
  res.end();
  unread?.resume();
}

/** The body, or undefined once it passes `max` bytes (reading stops there; the answer closes the connection). */
function readBounded(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > max) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, length)));
    req.once('error', reject);
  });
}
