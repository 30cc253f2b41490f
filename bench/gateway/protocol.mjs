// bench/gateway.mjs's WebSocket client of the gateway protocol (not a benchmark itself): connect,
// hello, and a turn that resolves when it completed.
import { createRequire } from 'node:module';
import { TOKEN } from './setup.mjs';

// ws as the gateway package provides it (as bench/deployment.mjs takes it), the same ws the
// gateway's own server runs.
const WebSocket = createRequire(new URL('../../packages/gateway/package.json', import.meta.url))('ws');

/**
 * A protocol client: counts assistant_delta frames, and resolves a waiter when the frame it
 * waits for arrives (by type, and by request_id when given). Final frames of a turn nobody waits
 * for are counted as unexpected: there should be none.
 */
export function connect(wsUrl) {
  const socket = new WebSocket(wsUrl, {
    headers: { authorization: `Bearer ${TOKEN}` },
    perMessageDeflate: false,
  });
  const client = {
    socket,
    deltas: 0,
    unexpected: 0,
    waiting: [],
    send: (frame) => socket.send(JSON.stringify(frame)),
  };
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === 'assistant_delta') {
      client.deltas++;
      return;
    }
    const index = client.waiting.findIndex(
      (w) =>
        w.types.includes(frame.type) &&
        (w.requestId === undefined || frame.payload.request_id === w.requestId),
    );
    if (index >= 0) client.waiting.splice(index, 1)[0].resolve(frame);
    else if (['turn_completed', 'turn_cancelled', 'error'].includes(frame.type)) client.unexpected++;
  });
  client.next = (types, requestId) =>
    new Promise((resolve) => client.waiting.push({ types, requestId, resolve }));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}

export async function hello(client, payload) {
  const ack = client.next(['hello_ack', 'error'], 'h');
  client.send({ type: 'hello', payload: { request_id: 'h', protocol_version: 2, ...payload } });
  const frame = await ack;
  if (frame.type !== 'hello_ack') throw new Error(`hello failed: ${frame.payload.message}`);
  return frame.payload.session.session_id;
}

let turnCounter = 0;
export async function turn(client, prompt = 'stream please') {
  const id = `t${turnCounter++}`;
  const done = client.next(['turn_completed', 'error', 'turn_cancelled'], id);
  client.send({
    type: 'send_turn',
    payload: { request_id: id, session_id: client.sessionId, turn_id: id, prompt },
  });
  const frame = await done;
  if (frame.type !== 'turn_completed') throw new Error(`turn failed: ${JSON.stringify(frame.payload)}`);
}
