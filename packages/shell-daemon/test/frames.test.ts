/**
 * The length-prefixed JSON codec (@oxydra/sandbox frames) shared by the shell daemon, the
 * runner's control socket and the bootstrap envelope: frames survive any split or merge in
 * transit, and an oversized frame is refused before it is buffered.
 */
import { PassThrough } from 'node:stream';
import {
  decodeFramePayload,
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  readFirstFrame,
  readFrames,
} from '@oxydra/sandbox';
import { describe, expect, it } from 'vitest';

const values = [{ op: 'health_check' }, { text: 'héllo wörld ✓ 🎉' }, [1, 2, 3], 'plain'];

describe('encodeFrame', () => {
  it('writes a 4-byte big-endian length, then the JSON', () => {
    const frame = encodeFrame({ a: 1 });
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4).toString()).toBe('{"a":1}');
  });

  it('refuses a value larger than the limit', () => {
    expect(() => encodeFrame({ data: 'x'.repeat(100) }, 50)).toThrow(FrameTooLargeError);
  });
});

describe('FrameDecoder', () => {
  const stream = Buffer.concat(values.map((value) => encodeFrame(value)));

  it('decodes frames merged into one chunk', () => {
    const frames = new FrameDecoder().push(stream);
    expect(frames.map(decodeFramePayload)).toEqual(values);
  });

  it('decodes frames split at every byte boundary', () => {
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(frames.map(decodeFramePayload)).toEqual(values);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes frames split at random points', () => {
    for (let trial = 0; trial < 50; trial++) {
      const decoder = new FrameDecoder();
      const frames: Buffer[] = [];
      let offset = 0;
      while (offset < stream.length) {
        const size = 1 + Math.floor(Math.random() * 20);
        frames.push(...decoder.push(stream.subarray(offset, offset + size)));
        offset += size;
      }
      expect(frames.map(decodeFramePayload)).toEqual(values);
    }
  });

  it('keeps an incomplete frame until the rest arrives', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame({ k: 'v' });
    expect(decoder.push(frame.subarray(0, 6))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(6);
    expect(decoder.push(frame.subarray(6)).map(decodeFramePayload)).toEqual([{ k: 'v' }]);
  });

  it('refuses an oversized length prefix as soon as the prefix arrives', () => {
    const decoder = new FrameDecoder(1024);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(1025, 0);
    expect(() => decoder.push(prefix)).toThrow(/1025 bytes exceeds the 1024-byte limit/);
  });

  it('accepts a frame of exactly the limit', () => {
    const frame = encodeFrame('x'.repeat(8));
    expect(new FrameDecoder(10).push(frame).map(decodeFramePayload)).toEqual(['x'.repeat(8)]);
  });
});

describe('readFrames and readFirstFrame', () => {
  it('iterates the frames of a stream and ends with it', async () => {
    const stream = new PassThrough();
    stream.end(Buffer.concat(values.map((value) => encodeFrame(value))));
    const seen: unknown[] = [];
    for await (const frame of readFrames(stream)) seen.push(decodeFramePayload(frame));
    expect(seen).toEqual(values);
  });

  it('reports a stream that ends inside a frame', async () => {
    const stream = new PassThrough();
    stream.end(encodeFrame({ a: 1 }).subarray(0, 5));
    await expect(async () => {
      for await (const _ of readFrames(stream));
    }).rejects.toThrow(/ended inside a frame/);
  });

  it('reads the first frame and leaves what follows readable', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.concat([encodeFrame({ first: true }), Buffer.from('after')]));
    const frame = await readFirstFrame(stream);
    expect(decodeFramePayload(frame)).toEqual({ first: true });
    stream.end();
    const rest: Buffer[] = [];
    for await (const chunk of stream) rest.push(chunk as Buffer);
    expect(Buffer.concat(rest).toString()).toBe('after');
  });

  it('refuses an oversized first frame and an empty stream', async () => {
    const big = new PassThrough();
    big.end(encodeFrame({ data: 'x'.repeat(100) }));
    await expect(readFirstFrame(big, 50)).rejects.toThrow(FrameTooLargeError);
    const empty = new PassThrough();
    empty.end();
    await expect(readFirstFrame(empty)).rejects.toThrow(/ended before a frame/);
  });
});
