/** A plain `ws` client for tests: every frame it receives is validated against the protocol schema. */
import {
  type ClientFrame,
  GATEWAY_PROTOCOL_VERSION,
  type ServerFrame,
  serverFrameSchema,
} from '@oxydra/types/gateway';
import WebSocket from 'ws';

type FramePredicate = (frame: ServerFrame) => boolean;

/** A plain ws client: frames are validated against the protocol schema as they arrive. */
export class TestClient {
  /** Sent as the bearer token unless a test gives another (or null for none). */
  static defaultToken: string | undefined;
  readonly frames: ServerFrame[] = [];
  readonly invalid: unknown[] = [];
  #consumed = new Set<number>();
  #waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;
  #requests = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      let json: unknown;
      try {
        json = JSON.parse(data.toString());
      } catch {
        // Not JSON (a gateway bug, a forged relayed frame): kept as text, for the test to see.
        this.invalid.push(data.toString());
        this.#wake();
        return;
      }
      const parsed = serverFrameSchema().safeParse(json);
      if (parsed.success) this.frames.push(parsed.data);
      else this.invalid.push(json);
      this.#wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  static connect(
    url: string,
    options: { token?: string | null; headers?: Record<string, string>; protocols?: string[] } = {},
  ): Promise<TestClient> {
    const token = options.token === undefined ? TestClient.defaultToken : options.token;
    const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
    const socket = new WebSocket(url, options.protocols ?? [], { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => {
        reject(
          Object.assign(new Error(`upgrade refused: HTTP ${response.statusCode}`), {
            status: response.statusCode,
          }),
        );
      });
    });
  }

  /** Connects and says hello; resolves with the hello_ack. */
  static async hello(
    url: string,
    payload: {
      user_id?: string;
      session_id?: string;
      create_new_session?: boolean;
      capabilities?: string[];
    } = {},
    options: { token?: string | null } = {},
  ): Promise<{ client: TestClient; ack: Extract<ServerFrame, { type: 'hello_ack' }> }> {
    const client = await TestClient.connect(url, options);
    client.send({
      type: 'hello',
      payload: { request_id: client.requestId(), protocol_version: GATEWAY_PROTOCOL_VERSION, ...payload },
    } as ClientFrame);
    const ack = await client.take('hello_ack');
    return { client, ack };
  }

  requestId(): string {
    this.#requests += 1;
    return `r${this.#requests}`;
  }

  send(frame: ClientFrame | Record<string, unknown> | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next unconsumed frame of `type` (matching `where`), waiting up to `timeoutMs`. */
  async take<T extends ServerFrame['type']>(
    type: T,
    where: (frame: Extract<ServerFrame, { type: T }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const matches: FramePredicate = (frame) =>
      frame.type === type && where(frame as Extract<ServerFrame, { type: T }>);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((frame, i) => !this.#consumed.has(i) && matches(frame));
      if (index >= 0) {
        this.#consumed.add(index);
        return this.frames[index] as Extract<ServerFrame, { type: T }>;
      }
      if (this.closed) throw new Error(`connection closed (${this.closed.code}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${type}; got ${this.frames.map((f) => f.type).join(', ')}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the connection to close');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.close();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
