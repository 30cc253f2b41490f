// One process of bench/event-bus.mjs (not a benchmark itself): a publisher or a subscriber on one
// engine, driven over the fork IPC channel. Started with one JSON argument,
// {engine, role, id, pg: {url, schema}, nats: {servers, subject, stream, durable}}; it answers
// {ready} once it can send or receive, then takes commands:
//   publisher   {cmd: 'paced', from, count, intervalMs}  sends count messages spaced out, and
//                 answers {sent: [[seq, ms]...]} (when each was sent)
//               {cmd: 'flood', from, count}  sends count messages as fast as the engine takes
//                 them (at most WINDOW unconfirmed), answers {start, end}
//   subscriber  {cmd: 'report'}  answers {got: [[seq, latencyMs, receivedAt]...]} so far
// Every message is 1 KB: "<seq> <send time>" padded. Times are performance.timeOrigin +
// performance.now(), comparable between processes of one machine.

import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { PostgresEventBus } from '../packages/store-postgres/dist/index.js';

const MESSAGE_BYTES = 1024;
const WINDOW = 512;
const TOPIC = 'bench';
const config = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function message(seq) {
  const head = `${seq} ${now()} `;
  return head + 'x'.repeat(MESSAGE_BYTES - head.length);
}

/** What each engine does: {publish(text): Promise|void, flush(): Promise, subscribe(onText), close()}. */
async function open() {
  if (config.engine === 'postgres') {
    const bus = await PostgresEventBus.open({ ...config.pg, processId: config.id });
    return {
      publish: (text) => bus.publish(TOPIC, text),
      flush: async () => {},
      subscribe: async (on) => bus.subscribe(TOPIC, (data) => on(data)),
      close: () => bus.close(),
    };
  }
  const nc = await connect({ servers: config.nats.servers, name: config.id });
  if (config.engine === 'nats') {
    return {
      publish: (text) => nc.publish(config.nats.subject, text),
      flush: () => nc.flush(),
      subscribe: async (on) => {
        nc.subscribe(config.nats.subject, { callback: (error, m) => error || on(m.string()) });
        await nc.flush(); // the server has the subscription
      },
      close: () => nc.drain(),
    };
  }
  // JetStream: publish waits for the stream's ack; the subscriber reads a durable consumer,
  // acknowledging each message, so one started again resumes where the last ack left it.
  const js = jetstream(nc);
  return {
    publish: (text) => js.publish(config.nats.subject, text),
    flush: () => nc.flush(),
    subscribe: async (on) => {
      const consumer = await js.consumers.get(config.nats.stream, config.nats.durable);
      const messages = await consumer.consume({ max_messages: 1000 });
      (async () => {
        for await (const m of messages) {
          on(m.string());
          m.ack();
        }
      })();
    },
    close: () => nc.drain(),
  };
}

const engine = await open();
const got = [];
if (config.role === 'subscriber') {
  await engine.subscribe((text) => {
    const at = now();
    const [seq, sentAt] = text.split(' ', 2).map(Number);
    got.push([seq, at - sentAt, at]);
  });
}

/** Sends one message; resolves when the engine took it (or at once for NATS core). */
async function send(seq) {
  await engine.publish(message(seq));
}

process.on('message', async (command) => {
  if (command.cmd === 'report') return process.send({ got });
  if (command.cmd === 'paced') {
    const sent = [];
    for (let i = 0; i < command.count; i++) {
      const seq = command.from + i;
      sent.push([seq, now()]);
      await send(seq);
      await engine.flush();
      if (command.intervalMs > 0) await sleep(command.intervalMs);
    }
    return process.send({ sent });
  }
  if (command.cmd === 'flood') {
    const start = now();
    const inFlight = new Set();
    for (let i = 0; i < command.count; i++) {
      const sending = send(command.from + i);
      inFlight.add(sending);
      sending.finally(() => inFlight.delete(sending));
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await engine.flush();
    return process.send({ start, end: now() });
  }
  if (command.cmd === 'close') {
    await engine.close();
    process.exit(0);
  }
});
process.send({ ready: true });
