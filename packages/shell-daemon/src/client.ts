/**
 * A client of the shell daemon. Requests go one at a time (the protocol is strictly
 * request → response), each answer is validated, and an `error` answer becomes a thrown
 * ShellDaemonRequestError. `run` is the whole round trip a caller usually wants.
 */
import { createConnection, type Socket } from 'node:net';
import { DEFAULT_MAX_FRAME_BYTES, decodeFramePayload, encodeFrame, FrameDecoder } from '@oxydra/sandbox';
import {
  type OutputStream,
  type ShellOp,
  type ShellRequestPayload,
  type ShellResponse,
  type ShellResponseFor,
  shellResponseSchema,
} from './protocol.js';

export class ShellDaemonRequestError extends Error {
  constructor(
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ShellDaemonRequestError';
  }
}

export interface ShellRunResult {
  stdout: string;
  stderr: string;
}

type Pending = { resolve: (response: ShellResponse) => void; reject: (error: Error) => void };

export class ShellDaemonClient {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES);
  readonly #waiting: Pending[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 0;
  #closed: Error | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.#decoder.push(chunk)) this.#deliver(frame);
      } catch (error) {
        this.#fail(error as Error);
      }
    });
    socket.on('close', () => this.#fail(new Error('the shell daemon closed the connection')));
    socket.on('error', (error) => this.#fail(error));
  }

  /** Sends one request; resolves with the matching response payload. */
  request<Op extends ShellOp>(
    op: Op,
    payload: Omit<ShellRequestPayload<Op>, 'request_id'> & { request_id?: string },
  ): Promise<ShellResponseFor<Op>> {
    const run = async () => {
      if (this.#closed) throw this.#closed;
      this.#nextId += 1;
      const requestId = payload.request_id ?? `req-${this.#nextId}`;
      const response = await new Promise<ShellResponse>((resolve, reject) => {
        this.#waiting.push({ resolve, reject });
        this.#socket.write(encodeFrame({ op, payload: { ...payload, request_id: requestId } }));
      });
      if (response.op === 'error') throw new ShellDaemonRequestError(response.payload.message, requestId);
      if (response.op !== op) {
        throw new Error(`the shell daemon answered ${op} with ${response.op} (protocol desync)`);
      }
      return response.payload as ShellResponseFor<Op>;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  spawnSession(options: { shell?: string; cwd?: string; env?: Record<string, string> } = {}) {
    return this.request('spawn_session', options);
  }

  execCommand(sessionId: string, command: string, timeoutSecs?: number) {
    return this.request('exec_command', {
      session_id: sessionId,
      command,
      ...(timeoutSecs !== undefined ? { timeout_secs: timeoutSecs } : {}),
    });
  }

  streamOutput(sessionId: string, maxBytes?: number) {
    return this.request('stream_output', {
      session_id: sessionId,
      ...(maxBytes !== undefined ? { max_bytes: maxBytes } : {}),
    });
  }

  killSession(sessionId: string) {
    return this.request('kill_session', { session_id: sessionId });
  }

  /** Every chunk of a session's captured output, until eof, joined per stream. */
  async readAllOutput(sessionId: string): Promise<ShellRunResult> {
    const out: Record<OutputStream, string> = { stdout: '', stderr: '' };
    for (;;) {
      const chunk = await this.streamOutput(sessionId);
      out[chunk.stream] += chunk.data;
      if (chunk.eof) return out;
    }
  }

  /** A fresh session runs `command` once and is killed afterwards. */
  async run(
    command: string,
    options: { cwd?: string; env?: Record<string, string>; timeoutSecs?: number } = {},
  ): Promise<ShellRunResult> {
    const { session_id } = await this.spawnSession({
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
    });
    try {
      await this.execCommand(session_id, command, options.timeoutSecs);
      return await this.readAllOutput(session_id);
    } finally {
      await this.killSession(session_id).catch(() => undefined);
    }
  }

  /** Sends raw bytes (tests of malformed input) while no request is pending; resolves with the answer. */
  sendRaw(bytes: Buffer): Promise<ShellResponse> {
    return new Promise<ShellResponse>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#socket.write(bytes);
    });
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }

  #deliver(frame: Buffer): void {
    const waiter = this.#waiting.shift();
    if (!waiter) return;
    const parsed = shellResponseSchema.safeParse(decodeFramePayloadSafe(frame));
    if (parsed.success) waiter.resolve(parsed.data);
    else
      waiter.reject(
        new Error(`the shell daemon sent an invalid response: ${parsed.error.issues[0]?.message}`),
      );
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }
}

function decodeFramePayloadSafe(frame: Buffer): unknown {
  try {
    return decodeFramePayload(frame);
  } catch {
    return undefined;
  }
}

/** Connects to the daemon listening on `socketPath`. */
export function connectShellDaemon(socketPath: string): Promise<ShellDaemonClient> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new ShellDaemonClient(socket));
    });
    socket.once('error', reject);
  });
}
