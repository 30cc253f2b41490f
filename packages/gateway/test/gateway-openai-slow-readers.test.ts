/**
 * A client that opens a streamed /v1/chat/completions and stops reading while the model writes
 * a long answer. Before, everything its socket could not take piled up in the gateway's memory
 * (the WebSocket, the live feed and A2A streams were cut 16 MiB behind; this API was not), and an
 * Idempotency-Key's retry was handed the whole kept answer at once. Now a client without a key is
 * cut MAX_UNREAD_BYTES behind and its turn cancelled; a keyed one (and a retry) is written from
 * the kept answer as its socket drains, so it lags without costing more than its socket's
 * buffer, and gets the whole answer once it reads (docs/security.md, G31).
 */
import { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_UNREAD_BYTES } from '../src/slow-readers.js';
import { type ModelCall, type Script, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;
const warnings: string[] = [];
beforeAll(async () => {
  env = await startTestGateway({ log: (level, message) => level === 'warn' && warnings.push(message) });
});
afterAll(() => env.cleanup());
afterEach(() => vi.restoreAllMocks());

/** One delta of the flood: 'q' is in no key or header of the stream, so the answer's are counted. */
const DELTA = 'q'.repeat(256 * 1024);
/** Far past the limit and whatever the two sockets' kernel buffers take. */
const FLOOD = Math.ceil((4 * MAX_UNREAD_BYTES) / DELTA.length);

/** A model streaming `deltas` DELTAs, one an event-loop turn, unless cancelled first. */
function flood(deltas: number) {
  const state = { yielded: 0, done: false, call: undefined as ModelCall | undefined };
  const script: Script = async function* (call) {
    state.call = call;
    try {
      while (state.yielded < deltas && !call.signal.aborted) {
        await new Promise((resolve) => setImmediate(resolve));
        state.yielded += 1;
        yield { type: 'text_delta', text: DELTA };
      }
      yield { type: 'finish', reason: 'stop' };
    } finally {
      state.done = true;
    }
  };
  env.model.script = script;
  return state;
}

const BODY = JSON.stringify({
  model: 'default',
  stream: true,
  messages: [{ role: 'user', content: 'flood' }],
});

/** A streamed chat completion over a raw socket that does not read what it is sent. */
function silentCompletion(key?: string): Socket {
  const { port, hostname, host } = new URL(env.gateway.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  socket.write(
    [
      'POST /v1/chat/completions HTTP/1.1',
      `Host: ${host}`,
      `Authorization: Bearer ${TOKEN}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(BODY)}`,
      'Connection: close',
      ...(key === undefined ? [] : [`Idempotency-Key: ${key}`]),
      '',
      BODY,
    ].join('\r\n'),
  );
  socket.pause();
  return socket;
}

/**
 * Reads `socket` until its answer's last chunk (the SSE head keeps the connection alive) or its
 * close: the body after the head, as text (chunk sizes left in).
 */
function readToEnd(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  const ended = new Promise<string>((resolve) => {
    const done = () => resolve(Buffer.concat(chunks).toString());
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.toString('latin1').endsWith('\r\n0\r\n\r\n')) done();
    });
    socket.once('close', done);
  });
  socket.resume();
  return ended.then((text) => text.slice(text.indexOf('\r\n\r\n') + 4));
}

const count = (text: string) => text.length - text.replaceAll('q', '').length;

/** The most any chat completion answer of the gateway had unread (queued in the process) at a write. */
function watchUnread(): () => number {
  let most = 0;
  const write = ServerResponse.prototype.write;
  vi.spyOn(ServerResponse.prototype, 'write').mockImplementation(function (
    this: ServerResponse,
    ...args: Parameters<typeof write>
  ) {
    if (this.req?.url === '/v1/chat/completions') most = Math.max(most, this.writableLength);
    return write.apply(this, args);
  });
  return () => most;
}

describe('a streamed chat completion whose client stops reading', () => {
  it('is cut once its client is MAX_UNREAD_BYTES behind, and its turn cancelled', {
    timeout: 120_000,
  }, async () => {
    const model = flood(FLOOD);
    const socket = silentCompletion();
    try {
      await pollUntil(() => model.done, 'the flood to be cancelled or to run out', { timeoutMs: 60_000 });
      expect(model.call?.signal.aborted).toBe(true);
      expect(model.yielded).toBeLessThan(FLOOD);
      expect(warnings).toContain('dropping a /v1/chat/completions stream client that does not read');
    } finally {
      socket.destroy();
    }
  });

  it('with an Idempotency-Key, lags without being buffered for, then gets the whole answer; so does a retry', {
    timeout: 120_000,
  }, async () => {
    const unread = watchUnread();
    const calls = env.model.calls.length;
    const deltas = Math.ceil((2 * MAX_UNREAD_BYTES) / DELTA.length);
    const model = flood(deltas);
    const socket = silentCompletion('slow-1');
    try {
      // A keyed turn runs on for its retry: to its end, with its client not reading.
      await pollUntil(() => model.done, 'the keyed turn to end', { timeoutMs: 60_000 });
      expect(model.yielded).toBe(deltas);
      // At most its socket's buffer and one chunk behind, not the answer.
      expect(unread()).toBeLessThan(1024 * 1024);
      const body = await readToEnd(socket);
      expect(count(body)).toBe(deltas * DELTA.length);
      expect(body).toContain('data: [DONE]\n\n');
    } finally {
      socket.destroy();
    }
    // A retry replays the kept answer, written as its socket drains, whole.
    const replay = silentCompletion('slow-1');
    try {
      const body = await readToEnd(replay);
      expect(count(body)).toBe(deltas * DELTA.length);
      expect(body).toContain('data: [DONE]\n\n');
    } finally {
      replay.destroy();
    }
    expect(env.model.calls.length - calls).toBe(1);
    expect(unread()).toBeLessThan(1024 * 1024);
  });

  it('a client that reads gets the whole of an answer longer than the limit', {
    timeout: 120_000,
  }, async () => {
    const deltas = Math.ceil((1.5 * MAX_UNREAD_BYTES) / DELTA.length);
    flood(deltas);
    const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: BODY,
    });
    const body = await response.text();
    expect(count(body)).toBe(deltas * DELTA.length);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
