/**
 * What the platform fakes (telegram/, slack/, discord/) share: a node:http server on a free port
 * of 127.0.0.1 that hands each request to the fake's router (and WebSocket upgrades to its
 * gateway), bodies read whole and parsed (JSON, a form, multipart by the platform's own
 * FormData parser), JSON answers, and the failures a test queues for the next matching call
 * (`failNext`), among them a 429 with its `Retry-After`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export { readBodyBytes } from './http-body.js';

export type FakeRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
export type FakeUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The fake's HTTP server: `listen()` on 127.0.0.1:0, `url` its base, `close()` ends every connection. */
export class FakeHttpServer {
  url = '';
  readonly #server: Server;

  constructor(route: FakeRoute, upgrade?: FakeUpgrade) {
    this.#server = createServer((req, res) => void route(req, res));
    if (upgrade) this.#server.on('upgrade', upgrade);
  }

  /** `url` with ws: for http: (a gateway or Socket Mode URL on the same server). */
  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  async listen(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close').catch(() => {});
  }
}

/** A JSON answer, unless one was already written (a long poll ended meanwhile). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  if (res.writableEnded) return;
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(JSON.stringify(body));
}

/** Failures a test asked for, each taken by the first call it matches (`failNext`). */
export class FailureQueue<F> {
  readonly #queued: F[] = [];

  add(failure: F): void {
    this.#queued.push(failure);
  }

  /** The oldest queued failure `matches` accepts, taken off the queue. */
  take(matches: (failure: F) => boolean): F | undefined {
    const index = this.#queued.findIndex(matches);
    return index < 0 ? undefined : this.#queued.splice(index, 1)[0];
  }
}

/** The `Retry-After` header of a 429 (seconds), or none. */
export function retryAfterHeader(seconds: number | undefined): Record<string, string> {
  return seconds !== undefined ? { 'retry-after': String(seconds) } : {};
}

/** A JSON body or a form (application/x-www-form-urlencoded) as its fields; an empty body has none. */
export function jsonOrForm(raw: Buffer, type: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  const text = raw.toString('utf8');
  if (type.includes('application/json')) return JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(text));
}

/** A multipart/form-data body, parsed by fetch's own (undici's) FormData parser. */
export function multipartForm(raw: Buffer, type: string): Promise<FormData> {
  return new Response(raw, { headers: { 'content-type': type } }).formData();
}
