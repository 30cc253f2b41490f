/**
 * The shell daemon: a Unix socket speaking length-prefixed JSON frames. Each connection is
 * strictly request → response, in order; a frame that is not a valid request is answered
 * with an `error` frame (the connection stays usable); an oversized frame ends the connection.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeFramePayload,
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  listenOnUnixSocket,
  removeStaleSocket,
} from '@oxydra/sandbox';
import { type ShellResponse, shellRequestSchema } from './protocol.js';
import {
  DEFAULT_MAX_SESSION_OUTPUT_BYTES,
  DEFAULT_MAX_STREAM_CHUNK_BYTES,
  SessionManager,
} from './sessions.js';

export interface ShellDaemonOptions {
  socketPath: string;
  maxSessionOutputBytes?: number;
  maxStreamChunkBytes?: number;
  maxFrameBytes?: number;
}

export interface ShellDaemon {
  readonly socketPath: string;
  /** Stops listening, kills running commands, removes the socket file. */
  close(): Promise<void>;
}

export async function startShellDaemon(options: ShellDaemonOptions): Promise<ShellDaemon> {
  const limits = {
    maxSessionOutputBytes: options.maxSessionOutputBytes ?? DEFAULT_MAX_SESSION_OUTPUT_BYTES,
    maxStreamChunkBytes: options.maxStreamChunkBytes ?? DEFAULT_MAX_STREAM_CHUNK_BYTES,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  }
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  await removeStaleSocket(options.socketPath, 'a shell daemon');
  const scratchDir = await mkdtemp(join(tmpdir(), 'oxydra-shell-daemon-'));
  const sessions = new SessionManager(limits, scratchDir);
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, sessions, maxFrameBytes);
  });
  await listenOnUnixSocket(server, options.socketPath);

  let closing: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    close() {
      closing ??= (async () => {
        sessions.abortAll();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(scratchDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function serveConnection(socket: Socket, sessions: SessionManager, maxFrameBytes: number): void {
  const decoder = new FrameDecoder(maxFrameBytes);
  // One request at a time per connection: responses leave in the order requests came.
  let queue = Promise.resolve();
  const send = (response: ShellResponse) => {
    if (!socket.destroyed) socket.write(encodeFrame(response, maxFrameBytes));
  };
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        send({ op: 'error', payload: { message: `invalid shell-daemon request frame: ${error.message}` } });
      }
      socket.end();
      return;
    }
    for (const frame of frames) {
      queue = queue.then(async () => send(await answer(frame, sessions)));
    }
  });
  socket.on('error', () => socket.destroy());
}

async function answer(frame: Buffer, sessions: SessionManager): Promise<ShellResponse> {
  let raw: unknown;
  try {
    raw = decodeFramePayload(frame);
  } catch (error) {
    return {
      op: 'error',
      payload: { message: `invalid shell-daemon request frame: ${(error as Error).message}` },
    };
  }
  const parsed = shellRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    return {
      op: 'error',
      payload: {
        ...requestIdOf(raw),
        message: `invalid shell-daemon request frame${where}: ${issue?.message ?? 'not a request'}`,
      },
    };
  }
  return sessions.handle(parsed.data);
}

/** The request_id of a malformed request, when it has one, so the client can match the error. */
function requestIdOf(raw: unknown): { request_id?: string } {
  const payload = (raw as { payload?: { request_id?: unknown } } | null)?.payload;
  return typeof payload?.request_id === 'string' ? { request_id: payload.request_id } : {};
}
