/**
 * The Socket Mode side of the fake Slack (https://docs.slack.dev/apis/events-api/using-socket-mode):
 * apps.connections.open hands out a one-time `wss` URL (here `ws://`); on connecting, the app gets
 * `{"type":"hello"}`, then envelopes (`events_api`, `interactive`, `slash_commands`) each with an `envelope_id`
 * it must acknowledge by sending `{"envelope_id": ...}` back. Envelopes not acknowledged are sent
 * again on the next connection with `retry_attempt` counted up, as Slack redelivers. The server
 * pings every few seconds (the client gives up on a silent server).
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

  constructor(private readonly base: () => string) {
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
    for (const envelope of this.envelopes) if (!envelope.acked) this.#write(ws, envelope);
  }

  #write(ws: WebSocket, envelope: FakeEnvelope): void {
    envelope.sends += 1;
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
