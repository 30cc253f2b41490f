/**
 * Length-prefixed JSON frames: a 4-byte big-endian unsigned length, then that many bytes of
 * UTF-8 JSON. The wire format of the runner's bootstrap envelope, its control socket and the
 * shell daemon (Oxydra's LengthDelimitedCodec). Lives here, below both of them, so the runner
 * and the shell daemon share one codec without importing each other.
 */
import type { Readable } from 'node:stream';

const PREFIX_BYTES = 4;
/** A frame larger than this is refused, on both ends, before it is buffered. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export class FrameTooLargeError extends Error {
  constructor(
    readonly frameBytes: number,
    readonly maxFrameBytes: number,
  ) {
    super(`frame of ${frameBytes} bytes exceeds the ${maxFrameBytes}-byte limit`);
    this.name = 'FrameTooLargeError';
  }
}

/** One frame holding `value` as JSON. */
export function encodeFrame(value: unknown, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  if (payload.length > maxFrameBytes) throw new FrameTooLargeError(payload.length, maxFrameBytes);
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, PREFIX_BYTES);
  return frame;
}

/**
 * Reassembles frames from a byte stream however it was split or merged in transit: push each
 * chunk as it arrives, get back every payload it completed. A length prefix above the limit
 * throws at once (the peer is broken or hostile; the stream cannot be resynchronised).
 */
export class FrameDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes received that do not yet make a whole frame. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  push(chunk: Buffer): Buffer[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const frames: Buffer[] = [];
    let buffer = this.#pending.length === 1 ? chunk : Buffer.concat(this.#pending);
    while (buffer.length >= PREFIX_BYTES) {
      const length = buffer.readUInt32BE(0);
      if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
      if (buffer.length < PREFIX_BYTES + length) break;
      frames.push(Buffer.from(buffer.subarray(PREFIX_BYTES, PREFIX_BYTES + length)));
      buffer = buffer.subarray(PREFIX_BYTES + length);
    }
    this.#pending = buffer.length > 0 ? [buffer] : [];
    this.#pendingBytes = buffer.length;
    return frames;
  }
}

/** Parses a frame's payload; a payload that is not JSON throws a SyntaxError. */
export function decodeFramePayload(payload: Buffer): unknown {
  return JSON.parse(payload.toString('utf8'));
}

/**
 * Every frame payload a stream carries, in order. Ends when the stream ends; a stream ending
 * inside a frame throws ("truncated"), as does an oversized frame.
 */
export async function* readFrames(
  stream: Readable,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
): AsyncGenerator<Buffer> {
  const decoder = new FrameDecoder(maxFrameBytes);
  for await (const chunk of stream) {
    yield* decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  if (decoder.bufferedBytes > 0) {
    throw new Error(`stream ended inside a frame (${decoder.bufferedBytes} bytes of an incomplete frame)`);
  }
}

/**
 * The first frame of a stream, without consuming more of it than that frame: what follows
 * stays readable (the runner keeps a guest's stdin open after the envelope as a lifeline).
 */
export function readFirstFrame(stream: Readable, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, frame?: Buffer) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      if (error) reject(error);
      else resolve(frame!);
    };
    const onData = (chunk: Buffer | string) => {
      received = Buffer.concat([received, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      if (received.length < PREFIX_BYTES) return;
      const length = received.readUInt32BE(0);
      if (length > maxFrameBytes) {
        finish(new FrameTooLargeError(length, maxFrameBytes));
        return;
      }
      if (received.length < PREFIX_BYTES + length) return;
      finish(undefined, Buffer.from(received.subarray(PREFIX_BYTES, PREFIX_BYTES + length)));
      // Bytes after the frame belong to whoever reads the stream next: give them back (after
      // our listener is gone and the stream paused, so they are not delivered to us again).
      const rest = received.subarray(PREFIX_BYTES + length);
      if (rest.length > 0) stream.unshift(rest);
    };
    const onEnd = () =>
      finish(
        new Error(
          received.length > 0
            ? `stream ended inside a frame (${received.length} bytes of an incomplete frame)`
            : 'stream ended before a frame arrived',
        ),
      );
    const onError = (error: Error) => finish(error);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
