/**
 * A WebSocket frame nested deeper than the gateway's JSON depth bound (json-depth.ts, the one
 * HTTP bodies have, G40): refused with `invalid_frame` naming the bound before it is parsed, where
 * JSON.parse took it (1 MiB of `[`: 130 ms of the event loop and 30 MB per frame, at 50 frames a
 * second per connection) and a hello carrying 5,000 levels in a key no schema names was answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/json-depth.js';
import { startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { RawSocket } from './raw-socket.js';

let env: TestGateway;
beforeAll(async () => {
  env = await startTestGateway();
});
afterAll(() => env.cleanup());

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const hello = (id: string, extra: string) =>
  `{"type":"hello","payload":{"request_id":"${id}","protocol_version":2,"x":${extra}}}`;
const TOO_DEEP = `the frame nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; send a flatter frame`;

describe('a deeply nested WebSocket frame', () => {
  it('is refused with invalid_frame naming the bound, and the connection goes on', async () => {
    const raw = await RawSocket.open(env.wsUrl, { token: TOKEN });
    try {
      for (const text of [nested(500_000), hello('deep', nested(5000))]) {
        raw.send(text);
        const error = await raw.inbox.take('error');
        expect(error.payload).toEqual({ code: 'invalid_frame', message: TOO_DEEP });
      }
      expect(raw.inbox.frames.some((frame) => frame.type === 'hello_ack')).toBe(false);
      // Within the bound (and brackets inside strings not counted): answered as ever.
      raw.send(hello('shallow', `[${nested(MAX_JSON_DEPTH - 10)},"${'['.repeat(1000)}"]`));
      const ack = await raw.inbox.take('hello_ack');
      expect(ack.payload.request_id).toBe('shallow');
    } finally {
      raw.close();
    }
  });
});
