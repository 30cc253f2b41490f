/**
 * The fake Discord's gateway (https://discord.com/developers/docs/events/gateway), on `ws` at
 * /gateway of the fake's server, JSON without compression: HELLO (op 10), heartbeat (op 1 → 11),
 * IDENTIFY (op 2 → READY), RESUME (op 6 → the missed dispatches, RESUMED; an unknown session gets
 * op 9). Like Discord, a dispatch made while the bot is not connected is only replayed to a
 * RESUME of its session; a new session (IDENTIFY) gets nothing of the past.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { DcGatewayPayload, DcUser } from './types.js';

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every dispatch of the session, for a RESUME. */
  log: DcGatewayPayload[];
  socket: WebSocket | undefined;
}

const HEARTBEAT_MS = 41_250;

export class FakeGateway {
  /** Every IDENTIFY's intents, in order (one per new session). */
  readonly identifies: number[] = [];
  readonly #sessions = new Map<string, Session>();
  readonly #wss = new WebSocketServer({ noServer: true });
  #live: Session | undefined;

  constructor(
    private readonly me: {
      token: string;
      bot: DcUser;
      /** The gateway's URL (ws://.../gateway). */
      url: () => string;
    },
  ) {}

  /** Whether a bot is connected with a session. */
  get connected(): boolean {
    return this.#live?.socket !== undefined;
  }

  /** The live session's intents (0 without one). */
  get intents(): number {
    return this.#live?.intents ?? 0;
  }

  /** Takes a WebSocket upgrade for /gateway; anything else is refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== '/gateway') {
      socket.destroy();
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws));
  }

  /** Sends a dispatch on the live session (kept for its RESUME when the bot is away). */
  dispatch(t: string, d: unknown): void {
    const session = this.#live;
    if (!session) return; // no session: Discord delivers nothing, and a new session replays nothing
    const payload: DcGatewayPayload = { op: 0, t, s: ++session.seq, d };
    session.log.push(payload);
    session.socket?.send(JSON.stringify(payload));
  }

  /** Closes the bot's connection; `resumable: false` also forgets its session (op 9 on RESUME). */
  drop(options: { resumable: boolean }): void {
    const session = this.#live;
    if (!session) return;
    if (!options.resumable) {
      this.#sessions.delete(session.id);
      this.#live = undefined;
    }
    session.socket?.close(4000, 'Unknown error');
    session.socket = undefined;
  }

  close(): void {
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
  }

  #connected(ws: WebSocket): void {
    const send = (payload: DcGatewayPayload) => ws.send(JSON.stringify(payload));
    send({ op: 10, d: { heartbeat_interval: HEARTBEAT_MS }, s: null, t: null });
    let session: Session | undefined;
    ws.on('message', (raw: RawData) => {
      let payload: DcGatewayPayload;
      try {
        payload = JSON.parse(raw.toString()) as DcGatewayPayload;
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case 1:
          send({ op: 11, d: null, s: null, t: null });
          return;
        case 2: {
          const d = payload.d as { token?: string; intents?: number };
          if (d.token !== this.me.token) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          this.identifies.push(d.intents ?? 0);
          if (this.#live) this.#live.socket = undefined;
          session = {
            id: randomBytes(16).toString('hex'),
            intents: d.intents ?? 0,
            seq: 0,
            log: [],
            socket: ws,
          };
          this.#sessions.set(session.id, session);
          this.#live = session;
          this.dispatch('READY', {
            v: 10,
            user: this.me.bot,
            guilds: [],
            session_id: session.id,
            resume_gateway_url: this.me.url(),
            shard: [0, 1],
            application: { id: this.me.bot.id, flags: 0 },
          });
          return;
        }
        case 6: {
          const d = payload.d as { token?: string; session_id?: string; seq?: number };
          const known = d.session_id !== undefined ? this.#sessions.get(d.session_id) : undefined;
          if (d.token !== this.me.token || !known) {
            send({ op: 9, d: false, s: null, t: null });
            return;
          }
          session = known;
          known.socket = ws;
          this.#live = known;
          for (const missed of known.log) if ((missed.s ?? 0) > (d.seq ?? 0)) send(missed);
          this.dispatch('RESUMED', null);
          return;
        }
        default:
          return;
      }
    });
    ws.on('close', () => {
      if (session?.socket === ws) session.socket = undefined;
    });
  }
}
