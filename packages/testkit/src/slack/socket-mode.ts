/**
 * The Socket Mode side of the fake Slack (https://docs.slack.dev/apis/events-api/using-socket-mode):
 * apps.connections.open hands out a one-time `wss` URL (here `ws://`); on connecting, the app gets
 * `{"type":"hello"}`, then envelopes (`events_api`, `interactive`, `slash_commands`) each with an `envelope_id`
 * it must acknowledge by sending `{"envelope_id": ...}` back. Envelopes not acknowledged are sent
 * again, as Slack redelivers, with `retry_attempt` counted up and `retry_reason`: on the next
 * connection, and (with `redeliverAfterMs`, Slack's 3 s) on the open one when the app leaves one
 * unanswered that long; after `maxRetries` retries (Slack's 3) Slack gives up on it (`givenUp`).
 * The server pings every few seconds (the client gives up on a silent server).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeEnvelope {
  envelopeId: string;
  type: 'events_api' | 'interactive' | 'slash_commands';
  payload: Record<string, unknown>;
  /** How many times it was sent (more than 1: redelivered). */
  sends: number;
  acked: boolean;
  /** When it was first written to a connection (performance.now()), to time a delivery. */
  firstSentAt?: number;
  /** Retried maxRetries times without an acknowledgement: Slack sends it no more. */
  givenUp?: boolean;
}

export interface FakeSocketModeOptions {
  /** Sends an envelope again on the open connection when unacknowledged this long (default: only on reconnect). */
  redeliverAfterMs?: number;
  /** Retries of an envelope before Slack gives up on it (default 3, as Slack). */
  maxRetries?: number;
}

const PING_MS = 5000;

export class FakeSocketMode {
  readonly envelopes: FakeEnvelope[] = [];
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #tickets = new Set<string>();
  readonly #sockets = new Set<WebSocket>();
  readonly #ping = setInterval(() => {
    for (const socket of this.#sockets) socket.ping();
  }, PING_MS);

  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly base: () => string,
    private readonly options: FakeSocketModeOptions = {},
  ) {
    this.#ping.unref();
  }

  /** apps.connections.open's URL: good for one connection. */
  openUrl(): string {
    const ticket = randomUUID();
    this.#tickets.add(ticket);
    return `${this.base().replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=A0FAKEAPP`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Takes a WebSocket upgrade for /link/ (false: not ours). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/link/') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.#tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws));
    return true;
  }

  /** Sends an envelope to the newest connection (or keeps it for the next one). */
  send(type: FakeEnvelope['type'], payload: Record<string, unknown>): FakeEnvelope {
    const envelope: FakeEnvelope = { envelopeId: randomUUID(), type, payload, sends: 0, acked: false };
    this.envelopes.push(envelope);
    const newest = [...this.#sockets].at(-1);
    if (newest) this.#write(newest, envelope);
    return envelope;
  }

  /** Ends every connection (as Slack does when it recycles one); the app reconnects. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.terminate();
  }

  close(): void {
    clearInterval(this.#ping);
    for (const timer of this.#timers) clearTimeout(timer);
    for (const socket of this.#sockets) socket.terminate();
    this.#wss.close();
  }

  #connected(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('close', () => this.#sockets.delete(ws));
    ws.on('message', (data) => {
      let ack: { envelope_id?: unknown };
      try {
        ack = JSON.parse(String(data)) as { envelope_id?: unknown };
      } catch {
        return;
      }
      const envelope = this.envelopes.find((e) => e.envelopeId === ack.envelope_id);
      if (envelope) envelope.acked = true;
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.#sockets.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0FAKEAPP' },
      }),
    );
    // What the last connection left unacknowledged comes again.
    for (const envelope of this.envelopes)
      if (!envelope.acked && !envelope.givenUp) this.#write(ws, envelope);
  }

  #write(ws: WebSocket, envelope: FakeEnvelope): void {
    if (envelope.sends > (this.options.maxRetries ?? 3)) {
      envelope.givenUp = true;
      return;
    }
    envelope.sends += 1;
    envelope.firstSentAt ??= performance.now();
    const after = this.options.redeliverAfterMs;
    if (after !== undefined) {
      const sends = envelope.sends;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        // Still unanswered, and not sent again meanwhile (by a reconnect): Slack retries it.
        const newest = [...this.#sockets].at(-1);
        if (!envelope.acked && envelope.sends === sends && newest) this.#write(newest, envelope);
      }, after);
      this.#timers.add(timer);
    }
    ws.send(
      JSON.stringify({
        envelope_id: envelope.envelopeId,
        payload: envelope.payload,
        type: envelope.type,
        accepts_response_payload: false,
        ...(envelope.type === 'events_api'
          ? { retry_attempt: envelope.sends - 1, retry_reason: envelope.sends > 1 ? 'timeout' : '' }
          : {}),
      }),
    );
  }
}
