/**
 * A mock gateway that speaks protocol v2 over a real WebSocket, for testing clients (the TUI's
 * GatewayClient, `oxydra tui` under tmux, anyone's own client) where the real gateway cannot go:
 * the failures a client must survive. It checks the bearer token on
 * the upgrade, validates every client frame with the shared zod schema (and records any that
 * fail), keeps sessions, streams scripted turns to every connection attached to the session, and
 * can misbehave on demand: drop connections, go away, send raw bytes, ignore health checks,
 * hold answers, hold a turn half way.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ClientFrame,
  clientFrameSchema,
  GATEWAY_PROTOCOL_VERSION,
  type ServerFrame,
  serverFrameSchema,
} from '@oxydra/types';
import { type WebSocket, WebSocketServer } from 'ws';

export type TurnStep =
  | { delta: string }
  | { progress: { kind: string; message: string } }
  /** Stop here until release() is called (for cancel and reconnect tests). */
  | { hold: true };

export interface MockGatewayOptions {
  token: string;
  /** Listen on this port (to come back on the same address after stop()). Default: any free port. */
  port?: number;
  /** The turn a prompt produces. Default: "echo: <prompt>" streamed in three deltas. */
  script?: (prompt: string) => TurnStep[];
  /** Delay between steps, so a client sees a reply arrive in pieces. */
  stepDelayMs?: number;
  usage?: { input_tokens: number; output_tokens: number; cost_usd?: number };
  protocolVersion?: number;
}

interface StubSession {
  id: string;
  userId: string;
  displayName?: string;
  createdAt: string;
  lastActiveAt: string;
  turnIndex: number;
  active?: ActiveTurn;
}

interface ActiveTurn {
  requestId: string;
  turnId: string;
  index: number;
  streamed: string;
  cancelled: boolean;
  /** release() came (possibly before the turn reached its hold step). */
  released: boolean;
  release?: () => void;
}

interface Connection {
  socket: WebSocket;
  userId: string;
  sessionId?: string;
}

export function echoTurn(prompt: string): TurnStep[] {
  const reply = `echo: ${prompt}`;
  const third = Math.ceil(reply.length / 3);
  return [
    { delta: reply.slice(0, third) },
    { delta: reply.slice(third, 2 * third) },
    { delta: reply.slice(2 * third) },
  ];
}

export class MockGateway {
  /** Every valid frame clients sent, in order. */
  readonly received: ClientFrame[] = [];
  /** Client frames that failed the protocol schema (a correct client sends none). */
  readonly invalid: string[] = [];
  /** Upgrades refused for a missing or wrong token. */
  refusedUpgrades = 0;
  readonly sessions = new Map<string, StubSession>();
  /** Answer health_check frames (false: stay silent, as a hung gateway would). */
  answerHealthChecks = true;
  /** Answer hello frames (false: never send hello_ack). */
  answerHello = true;
  /** Frames sent right behind every hello_ack, in the same tick. */
  greeting: ServerFrame[] = [];
  /** Queue request answers until flushAnswers() (to answer out of order). */
  deferAnswers = false;
  private readonly deferred: { connection: Connection; frame: ServerFrame }[] = [];
  private readonly connections = new Set<Connection>();
  private readonly options: Required<Omit<MockGatewayOptions, 'port'>>;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  port = 0;

  private constructor(options: MockGatewayOptions) {
    this.options = {
      token: options.token,
      script: options.script ?? echoTurn,
      stepDelayMs: options.stepDelayMs ?? 15,
      usage: options.usage ?? { input_tokens: 1200, output_tokens: 345, cost_usd: 0.0031 },
      protocolVersion: options.protocolVersion ?? GATEWAY_PROTOCOL_VERSION,
    };
  }

  static async start(options: MockGatewayOptions): Promise<MockGateway> {
    const stub = new MockGateway(options);
    await stub.listen(options.port ?? 0);
    return stub;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Frames of one type the clients sent. */
  framesOf<T extends ClientFrame['type']>(type: T): Extract<ClientFrame, { type: T }>[] {
    return this.received.filter((f): f is Extract<ClientFrame, { type: T }> => f.type === type);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Let held turns continue (a turn not yet at its hold step passes it when it gets there). */
  release(): void {
    for (const session of this.sessions.values()) {
      const turn = session.active;
      if (!turn) continue;
      turn.released = true;
      turn.release?.();
    }
  }

  /** Send the queued answers, newest first when `reverse`. */
  flushAnswers(reverse = false): void {
    const queued = this.deferred.splice(0);
    if (reverse) queued.reverse();
    for (const { connection, frame } of queued) this.send(connection, frame);
  }

  /** Send bytes as they are to every connection (for malformed-frame tests). */
  sendRaw(text: string): void {
    for (const connection of this.connections) connection.socket.send(text);
  }

  /** Cut every connection abruptly (no close frame), as a crash or network loss would. */
  dropConnections(): void {
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
  }

  /** Stop listening (connections cut); sessions are kept, so start() on the same port resumes. */
  async stop(): Promise<void> {
    this.dropConnections();
    const wss = this.wss;
    const server = this.server;
    this.wss = undefined;
    this.server = undefined;
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Listen again on the same port after stop(). */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.release();
    await this.stop();
  }

  private async listen(port: number): Promise<void> {
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer((_request, response) => {
      response.writeHead(404).end();
    });
    server.on('upgrade', (request, socket, head) => {
      if (new URL(request.url ?? '/', 'http://stub').pathname !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (request.headers.authorization !== `Bearer ${this.options.token}`) {
        this.refusedUpgrades += 1;
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
  }

  private accept(socket: WebSocket): void {
    const connection: Connection = { socket, userId: 'default' };
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    socket.on('message', (data) => {
      const text = data.toString();
      let parsed: ReturnType<typeof clientFrameSchema.safeParse>;
      try {
        parsed = clientFrameSchema.safeParse(JSON.parse(text));
      } catch {
        this.invalid.push(text);
        return;
      }
      if (!parsed.success) {
        this.invalid.push(text);
        this.send(connection, {
          type: 'error',
          payload: { code: 'invalid_frame', message: `invalid frame: ${parsed.error.issues[0]?.message}` },
        });
        return;
      }
      this.received.push(parsed.data);
      void this.handle(connection, parsed.data);
    });
  }

  private async handle(connection: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'hello': {
        if (!this.answerHello) return;
        const { payload } = frame;
        connection.userId = payload.user_id ?? 'default';
        let session: StubSession | undefined;
        if (payload.session_id) {
          session = this.sessions.get(payload.session_id);
          if (!session) {
            this.send(connection, {
              type: 'error',
              payload: {
                request_id: payload.request_id,
                code: 'unknown_session',
                message: `no session ${payload.session_id}`,
              },
            });
            return;
          }
        } else session = this.createSession(connection.userId);
        connection.sessionId = session.id;
        this.send(connection, {
          type: 'hello_ack',
          payload: {
            request_id: payload.request_id,
            protocol_version: this.options.protocolVersion,
            session: this.ref(session),
            ...(session.active
              ? { active_turn: { turn_id: session.active.turnId, state: 'running' as const } }
              : {}),
          },
        });
        for (const greeting of this.greeting) this.send(connection, greeting);
        return;
      }
      case 'send_turn':
        await this.runTurn(connection, frame.payload);
        return;
      case 'cancel_active_turn': {
        const session = this.sessions.get(frame.payload.session_id);
        if (!session?.active) {
          this.send(connection, {
            type: 'error',
            payload: {
              request_id: frame.payload.request_id,
              code: 'no_active_turn',
              message: 'no turn is running',
            },
          });
          return;
        }
        this.cancelTurn(session);
        return;
      }
      case 'cancel_all_active_turns':
        for (const session of this.sessions.values())
          if (session.userId === connection.userId && session.active) this.cancelTurn(session);
        return;
      case 'health_check': {
        if (!this.answerHealthChecks) return;
        const session = connection.sessionId ? this.sessions.get(connection.sessionId) : undefined;
        this.answer(connection, {
          type: 'health_status',
          payload: {
            request_id: frame.payload.request_id,
            healthy: true,
            ...(session ? { session: this.ref(session) } : {}),
            ...(session?.active
              ? { active_turn: { turn_id: session.active.turnId, state: 'running' as const } }
              : {}),
          },
        });
        return;
      }
      case 'create_session': {
        const session = this.createSession(connection.userId, frame.payload.display_name);
        connection.sessionId = session.id;
        this.answer(connection, {
          type: 'session_created',
          payload: {
            request_id: frame.payload.request_id,
            session: this.ref(session),
            ...(session.displayName ? { display_name: session.displayName } : {}),
            agent_name: 'default',
          },
        });
        return;
      }
      case 'list_sessions':
        this.answer(connection, {
          type: 'session_list',
          payload: {
            request_id: frame.payload.request_id,
            sessions: [...this.sessions.values()]
              .filter((s) => s.userId === connection.userId)
              .map((s) => ({
                session_id: s.id,
                agent_name: 'default',
                ...(s.displayName ? { display_name: s.displayName } : {}),
                channel_origin: 'tui',
                created_at: s.createdAt,
                last_active_at: s.lastActiveAt,
                archived: false,
              })),
          },
        });
        return;
      case 'switch_session': {
        const session = this.sessions.get(frame.payload.session_id);
        if (!session || session.userId !== connection.userId) {
          this.send(connection, {
            type: 'error',
            payload: {
              request_id: frame.payload.request_id,
              code: 'unknown_session',
              message: 'no such session',
            },
          });
          return;
        }
        connection.sessionId = session.id;
        this.answer(connection, {
          type: 'session_switched',
          payload: {
            request_id: frame.payload.request_id,
            session: this.ref(session),
            ...(session.active
              ? { active_turn: { turn_id: session.active.turnId, state: 'running' as const } }
              : {}),
          },
        });
        return;
      }
    }
  }

  private async runTurn(
    connection: Connection,
    payload: Extract<ClientFrame, { type: 'send_turn' }>['payload'],
  ): Promise<void> {
    const session = this.sessions.get(payload.session_id);
    if (!session) {
      this.send(connection, {
        type: 'error',
        payload: { request_id: payload.request_id, code: 'unknown_session', message: 'no such session' },
      });
      return;
    }
    if (session.active) {
      this.send(connection, {
        type: 'error',
        payload: {
          request_id: payload.request_id,
          code: 'turn_active',
          message: 'a turn is already running in this session',
        },
      });
      return;
    }
    const turn: ActiveTurn = {
      requestId: payload.request_id,
      turnId: payload.turn_id,
      index: session.turnIndex++,
      streamed: '',
      cancelled: false,
      released: false,
    };
    session.active = turn;
    session.lastActiveAt = new Date().toISOString();
    const ref = { session: this.ref(session), turn: { turn_id: turn.turnId, index: turn.index } };
    this.broadcast(session, { type: 'turn_started', payload: { request_id: turn.requestId, ...ref } });
    const steps = this.options.script(payload.prompt);
    let step = 0;
    for (const item of steps) {
      await new Promise((resolve) => setTimeout(resolve, this.options.stepDelayMs));
      if (turn.cancelled) return;
      if ('hold' in item) {
        if (!turn.released)
          await new Promise<void>((resolve) => {
            turn.release = resolve;
          });
        turn.release = undefined;
        turn.released = false;
        if (turn.cancelled) return;
      } else if ('delta' in item) {
        turn.streamed += item.delta;
        this.broadcast(session, {
          type: 'assistant_delta',
          payload: { request_id: turn.requestId, ...ref, delta: item.delta },
        });
      } else {
        step += 1;
        this.broadcast(session, {
          type: 'turn_progress',
          payload: {
            request_id: turn.requestId,
            ...ref,
            progress: { ...item.progress, turn: step, max_turns: 8 },
          },
        });
      }
    }
    session.active = undefined;
    this.broadcast(session, {
      type: 'turn_completed',
      payload: {
        request_id: turn.requestId,
        ...ref,
        response: {
          message: turn.streamed,
          tool_calls: [],
          finish_reason: 'stop',
          usage: this.options.usage,
        },
      },
    });
  }

  private cancelTurn(session: StubSession): void {
    const turn = session.active;
    if (!turn) return;
    turn.cancelled = true;
    session.active = undefined;
    turn.release?.();
    this.broadcast(session, {
      type: 'turn_cancelled',
      payload: {
        request_id: turn.requestId,
        session: this.ref(session),
        turn: { turn_id: turn.turnId, index: turn.index },
      },
    });
  }

  private createSession(userId: string, displayName?: string): StubSession {
    const now = new Date().toISOString();
    const session: StubSession = {
      id: randomUUID(),
      userId,
      ...(displayName ? { displayName } : {}),
      createdAt: now,
      lastActiveAt: now,
      turnIndex: 0,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  private ref(session: StubSession) {
    return { user_id: session.userId, session_id: session.id };
  }

  private broadcast(session: StubSession, frame: ServerFrame): void {
    for (const connection of this.connections)
      if (connection.sessionId === session.id) this.send(connection, frame);
  }

  private answer(connection: Connection, frame: ServerFrame): void {
    if (this.deferAnswers) this.deferred.push({ connection, frame });
    else this.send(connection, frame);
  }

  private send(connection: Connection, frame: ServerFrame): void {
    // What the stub sends must itself be valid, or it would test the client against a wrong gateway.
    const checked = serverFrameSchema.parse(frame);
    if (connection.socket.readyState === connection.socket.OPEN)
      connection.socket.send(JSON.stringify(checked));
  }
}
