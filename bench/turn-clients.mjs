// Shared by bench/gateway-scale.mjs and bench/turn-statements.mjs (not a benchmark itself): the
// two kinds of turn they time against a deployment (deployment.mjs), a WebSocket session turn
// and a stateless turn over the OpenAI-compatible API.
import { WebSocket } from './deployment.mjs';

/** A protocol client on its own session: turn() resolves with the turn's final frame. */
export async function sessionClient(deployment, user) {
  const socket = new WebSocket(deployment.wsUrl, {
    headers: { authorization: `Bearer ${deployment.token}` },
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let waiting;
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (['hello_ack', 'turn_completed', 'turn_cancelled', 'error'].includes(frame.type)) waiting?.(frame);
  });
  const next = () =>
    new Promise((resolve) => {
      waiting = resolve;
    });
  let n = 0;
  const acked = next();
  socket.send(
    JSON.stringify({
      type: 'hello',
      payload: { request_id: 'h', protocol_version: 2, user_id: user, create_new_session: true },
    }),
  );
  const ack = await acked;
  if (ack.type !== 'hello_ack') throw new Error(`hello: ${JSON.stringify(ack.payload)}`);
  const sessionId = ack.payload.session.session_id;
  return {
    async turn() {
      n++;
      const done = next();
      socket.send(
        JSON.stringify({
          type: 'send_turn',
          payload: {
            request_id: `r${n}`,
            session_id: sessionId,
            turn_id: `t${n}`,
            prompt: `Turn ${n}, please answer.`,
          },
        }),
      );
      return done;
    },
    close: () => socket.close(),
  };
}

/** One stateless turn over the OpenAI-compatible API; resolves with its status. */
export async function httpTurn(deployment) {
  const response = await fetch(`${deployment.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deployment.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Please answer.' }] }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`POST /v1/chat/completions: ${response.status}`);
}

/**
 * Gives recall something to find for `user`: another session of that user with one turn in it,
 * made and closed before the timed turns. Without it a deployment's only session has nothing
 * to recall outside itself, and the kernel's recall gate skips the search (the bench's --recall).
 */
export async function otherSession(deployment, user) {
  const other = await sessionClient(deployment, user);
  try {
    const frame = await other.turn();
    if (frame.type !== 'turn_completed') throw new Error(`other session: ${JSON.stringify(frame)}`);
  } finally {
    other.close();
  }
}
