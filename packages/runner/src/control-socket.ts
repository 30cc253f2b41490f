/**
 * The control socket, both ends: the daemon serves `<ws>/ipc/runner-control.sock` (owner-only),
 * answering each request frame with one response frame; `sendControl` is the CLI's side.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import {
  decodeFramePayload,
  encodeFrame,
  FrameDecoder,
  listenOnUnixSocket,
  removeStaleSocket,
} from '@oxydra/sandbox';
import {
  type ControlRequest,
  type ControlResponse,
  controlRequestSchema,
  controlResponseSchema,
  type ParsedControlRequest,
} from './control-protocol.js';

export type ControlHandler = (request: ParsedControlRequest) => Promise<ControlResponse>;

export interface ControlServer {
  close(): Promise<void>;
}

export async function serveControlSocket(socketPath: string, handle: ControlHandler): Promise<ControlServer> {
  await removeStaleSocket(socketPath, 'a runner');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder();
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        socket.end(encodeFrame(invalid((error as Error).message)));
        return;
      }
      for (const frame of frames) {
        queue = queue.then(async () => {
          const response = await answer(frame, handle);
          if (!socket.destroyed) socket.write(encodeFrame(response));
        });
      }
    });
  });
  await listenOnUnixSocket(server, socketPath);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.end();
        server.close(() => resolve());
      }),
  };
}

function invalid(message: string): ControlResponse {
  return { op: 'error', payload: { code: 'invalid_request', message } };
}

async function answer(frame: Buffer, handle: ControlHandler): Promise<ControlResponse> {
  let raw: unknown;
  try {
    raw = decodeFramePayload(frame);
  } catch (error) {
    return invalid(`the request is not JSON: ${(error as Error).message}`);
  }
  const parsed = controlRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(
      `invalid control request${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message}`,
    );
  }
  try {
    return await handle(parsed.data);
  } catch (error) {
    return { op: 'error', payload: { code: 'internal', message: (error as Error).message } };
  }
}

/** Thrown when no runner listens on the socket (not started, or gone). */
export class RunnerNotRunning extends Error {
  constructor(readonly socketPath: string) {
    super(`no runner is listening on ${socketPath}`);
    this.name = 'RunnerNotRunning';
  }
}

/** Sends one request and returns the validated response. */
export function sendControl(
  socketPath: string,
  request: ControlRequest,
  options: { timeoutMs?: number } = {},
): Promise<ControlResponse> {
  return new Promise<ControlResponse>((resolve, reject) => {
    const socket = createConnection(socketPath);
    const decoder = new FrameDecoder();
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`the runner on ${socketPath} did not answer within ${options.timeoutMs ?? 10_000} ms`),
      );
    }, options.timeoutMs ?? 10_000);
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    socket.once('connect', () => {
      connected = true;
      socket.write(encodeFrame(request));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        const [frame] = decoder.push(chunk);
        if (frame === undefined) return;
        const parsed = controlResponseSchema.safeParse(decodeFramePayload(frame));
        if (parsed.success) finish(() => resolve(parsed.data));
        else
          finish(() =>
            reject(new Error(`the runner sent an invalid response: ${parsed.error.issues[0]?.message}`)),
          );
      } catch (error) {
        finish(() => reject(error));
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const absent = !connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED');
      finish(() => reject(absent ? new RunnerNotRunning(socketPath) : error));
    });
    socket.once('close', () =>
      finish(() => reject(new Error(`the runner on ${socketPath} closed the connection`))),
    );
  });
}
