/** Bad frames never crash the gateway or cost a connection; floods are rate-limited, then cut off. */
import { afterEach, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { sendTurn, startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { RawSocket } from './raw-socket.js';

let env: TestGateway | undefined;
const clients: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await env?.cleanup();
  env = undefined;
});

async function connect(gateway: TestGateway): Promise<RawSocket> {
  const client = await RawSocket.open(gateway.wsUrl, { token: TOKEN });
  clients.push(client);
  return client;
}

describe('malformed frames', () => {
  it('answers each kind of bad frame with an error frame that says what is wrong, and keeps the connection', async () => {
    env = await startTestGateway({ limits: { maxFrameBytes: 4096 } });
    const client = await connect(env);
    const cases: Array<[string | Buffer, string, RegExp]> = [
      ['{not json', 'invalid_frame', /not valid JSON/],
      ['[1,2]', 'invalid_frame', /JSON object/],
      ['"hello"', 'invalid_frame', /JSON object/],
      ['{"payload":{}}', 'invalid_frame', /no "type"/],
      [
        '{"type":"launch_missiles","payload":{}}',
        'invalid_frame',
        /unknown frame type "launch_missiles" \(known: hello, send_turn/,
      ],
      [
        '{"type":"hello","payload":{"request_id":"x"}}',
        'invalid_frame',
        /invalid hello frame: payload\.protocol_version/,
      ],
      [
        '{"type":"send_turn","payload":{"request_id":"y","session_id":"s","turn_id":"t","prompt":42}}',
        'invalid_frame',
        /payload\.prompt/,
      ],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'invalid_frame', /binary frames are not supported/],
      [
        JSON.stringify({ type: 'health_check', payload: { request_id: 'big', pad: 'x'.repeat(5000) } }),
        'frame_too_large',
        /over the 4096-byte limit/,
      ],
    ];
    for (const [frame, code, message] of cases) {
      client.socket.send(frame);
      const error = await client.inbox.take('error');
      expect(error.payload.code, String(frame).slice(0, 60)).toBe(code);
      expect(error.payload.message).toMatch(message);
    }
    // A bad frame with a usable request_id gets it back.
    client.send({ type: 'switch_session', payload: { request_id: 'mine' } });
    expect((await client.inbox.take('error')).payload).toMatchObject({
      request_id: 'mine',
      code: 'invalid_frame',
    });
    client.send({ type: 'health_check', payload: { request_id: 'still-here' } });
    expect((await client.inbox.take('health_status')).payload).toMatchObject({
      request_id: 'still-here',
      healthy: true,
    });
    expect(client.inbox.closed).toBeUndefined();
  });

  it('stays healthy after 1,000 malformed frames, and still runs turns', async () => {
    env = await startTestGateway({ limits: { rateLimitBurst: 2000, rateLimitPerSec: 2000 } });
    const client = await connect(env);
    const junk = [
      '{',
      '[]',
      'null',
      '{"type":"nope","payload":{}}',
      '{"type":"hello","payload":{}}',
      '\u0000\u0001',
    ];
    for (let i = 0; i < 1000; i++) client.socket.send(junk[i % junk.length]!);
    client.send({ type: 'health_check', payload: { request_id: 'after' } });
    expect((await client.inbox.take('health_status', () => true, 10_000)).payload.healthy).toBe(true);
    expect(client.inbox.frames.filter((f) => f.type === 'error')).toHaveLength(1000);
    const fresh = await helloClient(env.wsUrl, {}, TOKEN);
    clients.push(fresh.client);
    sendTurn(fresh.client, fresh.ack.session.session_id, 'still works');
    expect((await fresh.inbox.take('turn_completed')).payload.response.message).toBe('echo: still works');
  });

  it('closes the connection (1009) for a frame far beyond the limit without reading it into a session', async () => {
    env = await startTestGateway({ limits: { maxFrameBytes: 1024 } });
    const client = await connect(env);
    client.socket.send('x'.repeat(1024 * 5));
    expect((await client.closed).code).toBe(1009);
    const other = await connect(env);
    other.send({ type: 'health_check', payload: { request_id: 'ok' } });
    await other.inbox.take('health_status');
  });
});

describe('rate limit', () => {
  it('refuses frames over the burst, each request answered with a rate_limited error naming it, then accepts again once the bucket refills', async () => {
    let now = 1_000_000;
    env = await startTestGateway({
      limits: { rateLimitBurst: 5, rateLimitPerSec: 20 },
      clock: { now: () => now },
    });
    const client = await connect(env);
    for (let i = 0; i < 8; i++) client.send({ type: 'health_check', payload: { request_id: `h${i}` } });
    const limited = await client.inbox.take('error');
    expect(limited.payload.code).toBe('rate_limited');
    expect(limited.payload.message).toContain('at most 20 per second');
    await client.inbox.take('health_status', (f) => f.payload.request_id === 'h4');
    // Before: one error without a request_id for the three, so a client waiting for h6's answer
    // (as one waits for a send_turn's end) waited forever.
    await client.inbox.take('error', (f) => f.payload.request_id === 'h7');
    expect(
      client.inbox.frames
        .filter((f) => f.type === 'error')
        .map((f) => [f.payload.code, f.payload.request_id]),
    ).toEqual([
      ['rate_limited', 'h5'],
      ['rate_limited', 'h6'],
      ['rate_limited', 'h7'],
    ]);
    now += 1000; // the bucket refills (to its burst of 5)
    client.send({ type: 'health_check', payload: { request_id: 'later' } });
    await client.inbox.take('health_status', (f) => f.payload.request_id === 'later');
    const answered = client.inbox.frames.filter((f) => f.type === 'health_status').length;
    expect(answered).toBe(6); // 5 from the burst, then the later one
    expect(client.inbox.frames.filter((f) => f.type === 'error')).toHaveLength(3);
    expect(client.inbox.closed).toBeUndefined();
  });

  it('closes a connection that keeps flooding (1008), and others are unaffected', async () => {
    env = await startTestGateway({ limits: { rateLimitBurst: 10, rateLimitPerSec: 1 } });
    const flooder = await connect(env);
    const bystander = await connect(env);
    for (let i = 0; i < 100; i++) flooder.socket.send('{}');
    expect((await flooder.closed).code).toBe(1008);
    bystander.send({ type: 'health_check', payload: { request_id: 'fine' } });
    expect((await bystander.inbox.take('health_status')).payload.healthy).toBe(true);
  });
});
