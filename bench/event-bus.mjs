#!/usr/bin/env node
// The measurement that chose the engine of the cross-process event bus (issue 33 item 3,
// docs/postgres.md "Cross-process events"): PostgreSQL LISTEN/NOTIFY through our
// PostgresEventBus (the built dist), NATS core pub/sub, and NATS JetStream (a file stream and a
// durable consumer acknowledging each message), each between separate OS processes (a
// publisher and a subscriber forked from bench/event-bus-peer.mjs), 1 KB messages.
//
// Reports, per engine, the median over interleaved rounds (engines in rotating order) of:
//   one-way latency p50/p99: publisher to subscriber, paced messages (one every --interval-ms);
//     both processes read the same clock (performance.timeOrigin + now)
//   throughput: a flood of --flood-messages (at most 512 unconfirmed at a time), messages
//     received per second from the first send to the last receipt, and how many arrived
//   loss: a steady stream (--loss-rate msgs/s for --loss-seconds); the subscriber process is
//     SIGKILLed --kill-after-ms in and started again --down-ms later; of the messages sent
//     while it was down, how many no subscriber process ever got; and of those sent after it
//     was back, how many it missed; redelivered = seqs received twice (JetStream replays the
//     unacknowledged)
// And what a user must run for each.
// Usage: node bench/event-bus.mjs [--rounds 3] [--latency-messages 2000] [--interval-ms 1]
//   [--flood-messages 20000] [--loss-rate 200] [--loss-seconds 6] [--kill-after-ms 1500]
//   [--down-ms 2000] [--engines postgres,nats,jetstream]
//   (needs `npm run build`; OXYDRA_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test;
//   OXYDRA_BENCH_NATS, default 127.0.0.1:4222, a nats-server started with -js; an engine that
//   does not answer is reported as skipped)
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { percentile } from './stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'latency-messages': { type: 'string', default: '2000' },
    'interval-ms': { type: 'string', default: '1' },
    'flood-messages': { type: 'string', default: '20000' },
    'loss-rate': { type: 'string', default: '200' },
    'loss-seconds': { type: 'string', default: '6' },
    'kill-after-ms': { type: 'string', default: '1500' },
    'down-ms': { type: 'string', default: '2000' },
    engines: { type: 'string', default: 'postgres,nats,jetstream' },
  },
});
const ROUNDS = Number(values.rounds);
const LATENCY_MESSAGES = Number(values['latency-messages']);
const INTERVAL_MS = Number(values['interval-ms']);
const FLOOD_MESSAGES = Number(values['flood-messages']);
const LOSS_RATE = Number(values['loss-rate']);
const LOSS_SECONDS = Number(values['loss-seconds']);
const KILL_AFTER_MS = Number(values['kill-after-ms']);
const DOWN_MS = Number(values['down-ms']);
const ENGINES = values.engines.split(',');
const POSTGRES_URL = process.env.OXYDRA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_SERVERS = process.env.OXYDRA_BENCH_NATS ?? '127.0.0.1:4222';
const PEER = fileURLToPath(new URL('event-bus-peer.mjs', import.meta.url));
const WARM_SEQ = 1e9;
const FLOOD_SEQ = 1e6;

const NEEDS = {
  postgres:
    'nothing more: the PostgreSQL server the stores already use ([store] backend = "postgres"); each gateway process opens two more connections (one listening, one publishing)',
  nats: 'a NATS server (nats-server) reachable by every gateway process: one more service to install, secure (TLS, credentials), monitor and keep up, and its URL in every gateway configuration',
  jetstream:
    'nats-server started with JetStream (-js) and a storage directory, as NATS core; plus a stream per deployment and a durable consumer per gateway process, made and removed as processes come and go, and acknowledgements (at least once: handlers must tolerate repeats)',
};

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (x, d = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const median = (xs) =>
  round(
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    ),
  );

/** A forked peer: resolves once ready; `ask(command)` resolves with its next answer. */
async function peer(config) {
  const child = fork(PEER, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const answers = [];
  const waiting = [];
  child.on('message', (m) => (waiting.length > 0 ? waiting.shift()(m) : answers.push(m)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const next = () =>
    answers.length > 0
      ? Promise.resolve(answers.shift())
      : Promise.race([
          new Promise((resolve) => waiting.push(resolve)),
          exited.then((code) =>
            Promise.reject(new Error(`${config.engine} ${config.role} exited (${code})`)),
          ),
        ]);
  await next(); // {ready}
  return {
    child,
    ask: (command) => {
      child.send(command);
      return next();
    },
    async close() {
      child.send({ cmd: 'close' });
      await Promise.race([exited, sleep(3000)]);
      child.kill('SIGKILL');
    },
  };
}

/** The subscriber's report once it holds what `enough` wants, or once nothing more arrives for `quietMs`. */
async function settle(sub, enough, quietMs = 3000) {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const { got } = await sub.ask({ cmd: 'report' });
    if (enough(got)) return got;
    if (got.length !== last) {
      last = got.length;
      since = Date.now();
    } else if (Date.now() - since > quietMs) return got;
    await sleep(50);
  }
}

let runs = 0;
/** What the peers of one engine run share: a fresh channel, subject or stream. */
async function place(engine) {
  const tag = `${process.pid}_${++runs}`;
  const config = { engine, pg: { url: POSTGRES_URL, schema: `bench_bus_${tag}` } };
  if (engine === 'postgres') return { config, drop: async () => {} };
  const subject = `oxybench.${tag}`;
  config.nats = { servers: NATS_SERVERS, subject };
  if (engine === 'nats') return { config, drop: async () => {} };
  const nc = await connect({ servers: NATS_SERVERS });
  const jsm = await jetstreamManager(nc);
  const stream = `OXYBENCH_${tag}`;
  await jsm.streams.add({ name: stream, subjects: [subject] });
  await jsm.consumers.add(stream, {
    durable_name: 'sub',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 1_000_000_000, // 1 s in ns: what a killed subscriber took unacknowledged comes back
  });
  config.nats = { ...config.nats, stream, durable: 'sub' };
  return {
    config,
    drop: async () => {
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    },
  };
}

/** Warm-up: paced messages until the subscriber has one (connections and paths hot). */
async function warm(pub, sub) {
  await pub.ask({ cmd: 'paced', from: WARM_SEQ, count: 50, intervalMs: 2 });
  await settle(sub, (got) => got.some(([seq]) => seq >= WARM_SEQ + 49), 2000);
}

async function latencyAndThroughput(engine) {
  const { config, drop } = await place(engine);
  const sub = await peer({ ...config, role: 'subscriber', id: 'sub' });
  const pub = await peer({ ...config, role: 'publisher', id: 'pub' });
  try {
    await warm(pub, sub);
    await pub.ask({ cmd: 'paced', from: 0, count: LATENCY_MESSAGES, intervalMs: INTERVAL_MS });
    const paced = (
      await settle(sub, (got) => got.filter(([s]) => s < WARM_SEQ).length >= LATENCY_MESSAGES)
    ).filter(([seq]) => seq < LATENCY_MESSAGES);
    const latencies = paced.map(([, ms]) => ms).sort((a, b) => a - b);
    const { start, end } = await pub.ask({ cmd: 'flood', from: FLOOD_SEQ, count: FLOOD_MESSAGES });
    const flood = (
      await settle(sub, (got) => got.filter(([s]) => s >= FLOOD_SEQ && s < WARM_SEQ).length >= FLOOD_MESSAGES)
    ).filter(([seq]) => seq >= FLOOD_SEQ && seq < WARM_SEQ);
    const lastAt = Math.max(...flood.map(([, , at]) => at));
    return {
      latency_p50_ms: round(percentile(latencies, 50)),
      latency_p99_ms: round(percentile(latencies, 99)),
      latency_received: paced.length,
      flood_msgs_per_s: Math.round(flood.length / ((lastAt - start) / 1000)),
      flood_publish_msgs_per_s: Math.round(FLOOD_MESSAGES / ((end - start) / 1000)),
      flood_received: flood.length,
    };
  } finally {
    await Promise.all([sub.close(), pub.close()]);
    await drop();
  }
}

async function loss(engine) {
  const { config, drop } = await place(engine);
  const first = await peer({ ...config, role: 'subscriber', id: 'sub' });
  const pub = await peer({ ...config, role: 'publisher', id: 'pub' });
  let second;
  try {
    await warm(pub, first);
    const count = LOSS_RATE * LOSS_SECONDS;
    const sending = pub.ask({ cmd: 'paced', from: 0, count, intervalMs: 1000 / LOSS_RATE });
    await sleep(KILL_AFTER_MS);
    const before = (await first.ask({ cmd: 'report' })).got;
    first.child.kill('SIGKILL');
    const killedAt = now();
    await sleep(DOWN_MS);
    second = await peer({ ...config, role: 'subscriber', id: 'sub' });
    const backAt = now();
    const { sent } = await sending;
    const after = await settle(second, (got) => got.some(([seq]) => seq === count - 1), 3000);
    const seen = new Map();
    for (const [seq] of [...before, ...after]) seen.set(seq, (seen.get(seq) ?? 0) + 1);
    const whileDown = sent.filter(([, at]) => at >= killedAt && at <= backAt).map(([seq]) => seq);
    const afterBack = sent.filter(([, at]) => at > backAt).map(([seq]) => seq);
    return {
      sent: sent.length,
      sent_while_down: whileDown.length,
      lost_while_down: whileDown.filter((seq) => !seen.has(seq)).length,
      sent_after_restart: afterBack.length,
      lost_after_restart: afterBack.filter((seq) => !seen.has(seq)).length,
      redelivered: [...seen.entries()].filter(([seq, n]) => seq < count && n > 1).length,
    };
  } finally {
    first.child.kill('SIGKILL');
    await Promise.all([pub.close(), second?.close()]);
    await drop();
  }
}

/** Why an engine cannot be measured here, or undefined. */
async function unreachable(engine) {
  try {
    if (engine === 'postgres') {
      const { PostgresEventBus } = await import('../packages/store-postgres/dist/index.js');
      const bus = await PostgresEventBus.open({
        url: POSTGRES_URL,
        schema: 'bench_probe',
        processId: 'probe',
      });
      await bus.check();
      await bus.close();
      return undefined;
    }
    const nc = await connect({ servers: NATS_SERVERS, timeout: 2000 });
    try {
      if (engine === 'jetstream') await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (error) {
    return String(error?.message ?? error).split('\n')[0];
  }
}

const skipped = {};
const engines = [];
for (const engine of ENGINES) {
  const why = await unreachable(engine);
  if (why === undefined) engines.push(engine);
  else skipped[engine] = why;
}
const results = Object.fromEntries(engines.map((e) => [e, { runs: [], loss: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  const order = engines.map((_, i) => engines[(i + r) % engines.length]);
  for (const engine of order) {
    process.stderr.write(`round ${r + 1}/${ROUNDS}: ${engine}\n`);
    results[engine].runs.push(await latencyAndThroughput(engine));
    results[engine].loss.push(await loss(engine));
  }
}

const summary = {};
for (const [engine, { runs: measured, loss: losses }] of Object.entries(results)) {
  const pick = (key) => median(measured.map((m) => m[key]));
  const pickLoss = (key) => median(losses.map((m) => m[key]));
  summary[engine] = {
    latency_p50_ms: pick('latency_p50_ms'),
    latency_p99_ms: pick('latency_p99_ms'),
    throughput_msgs_per_s: pick('flood_msgs_per_s'),
    flood_received_of: `${pick('flood_received')}/${FLOOD_MESSAGES}`,
    sent_while_subscriber_down: pickLoss('sent_while_down'),
    lost_while_subscriber_down: pickLoss('lost_while_down'),
    lost_after_restart: pickLoss('lost_after_restart'),
    redelivered: pickLoss('redelivered'),
    needs: NEEDS[engine],
    runs: measured,
    loss_runs: losses,
  };
}
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'event-bus',
      node: process.version,
      cpus: cpus().length,
      load_average_at_start: loadavg().map((x) => round(x, 2)),
      settings: {
        rounds: ROUNDS,
        message_bytes: 1024,
        latency_messages: LATENCY_MESSAGES,
        interval_ms: INTERVAL_MS,
        flood_messages: FLOOD_MESSAGES,
        loss: {
          rate_per_s: LOSS_RATE,
          seconds: LOSS_SECONDS,
          kill_after_ms: KILL_AFTER_MS,
          down_ms: DOWN_MS,
        },
      },
      engines: summary,
      skipped,
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
