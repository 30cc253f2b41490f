#!/usr/bin/env node
// Several gateway processes on one PostgreSQL store (issue 33 item 3), on this machine:
//  (a) scale: turns/s with 1, 2 and 3 `oxydra gateway` processes behind HAProxy
//      (deploy/haproxy.cfg), --clients WebSocket clients (each its own session, spread over 10
//      users) sending turns back to back for --seconds each, against a mock whose answer streams in
//      --chunks chunks --chunk-ms apart; meanwhile the CPU each part used (from /proc/<pid>/stat:
//      the gateways, HAProxy, every PostgreSQL process on the machine, this process with the mock
//      and the clients) and the machine's busy share (/proc/stat), to say where the limit is;
//  (b) warm turn latency, PostgreSQL against libSQL: one gateway on each store (no proxy), the
//      same mock with zero latency, --rounds interleaved rounds of a stateless turn over the
//      OpenAI-compatible API (POST /v1/chat/completions) and a WebSocket session turn on each;
//      medians and the ratio pg/libsql (target <= 1.5x). With --baseline-bin (another build's
//      packages/cli/bin/oxydra.js, e.g. one made at the commit before a change), a gateway of
//      that build on each store too, in the same interleaved rounds: its medians and ratio, and
//      this build's PostgreSQL median over the baseline's. With --recall, each gateway's user has
//      another session with one turn first, so every session turn's recall searches (turn-clients.mjs).
// Usage: node bench/gateway-scale.mjs [--seconds 30] [--clients 30] [--chunks 5] [--chunk-ms 80]
//                                     [--gateways 1,2,3] [--rounds 200] [--only ab]
//                                     [--baseline-bin path/to/bin/oxydra.js] [--recall] [--sync-off]
// (prints one JSON object; needs `npm run build`, haproxy on PATH for (a), and PostgreSQL at
// OXYDRA_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; every deployment
// has its own schema, dropped at its end. PostgreSQL's CPU is every `postgres` process on the
// machine: other users of that server count too.)
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, mockSteps, postgresPids, sleep, startDeployment } from './deployment.mjs';
import { summarize } from './stats.mjs';
import { httpTurn, otherSession, sessionClient } from './turn-clients.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    clients: { type: 'string', default: '30' },
    chunks: { type: 'string', default: '5' },
    'chunk-ms': { type: 'string', default: '80' },
    gateways: { type: 'string', default: '1,2,3' },
    rounds: { type: 'string', default: '200' },
    only: { type: 'string', default: 'ab' },
    'baseline-bin': { type: 'string' },
    recall: { type: 'boolean', default: false },
    'sync-off': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const clientCount = Number(values.clients);
const chunks = Number(values.chunks);
const chunkMs = Number(values['chunk-ms']);
const rounds = Number(values.rounds);
const only = new Set(values.only);
const baselineBin = values['baseline-bin'] && resolve(values['baseline-bin']);
const round2 = (x) => Math.round(x * 100) / 100;
const log = (line) => process.stderr.write(`[gateway-scale] ${line}\n`);

/** The machine's busy and total jiffies from /proc/stat's first line. */
function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  const total = fields.reduce((sum, x) => sum + x, 0);
  return { busy: total - idle, total };
}

/** CPU used by each part of the deployment between two samples, in cores (CPU s / wall s). */
function cpuSampler(deployment) {
  const pids = () => {
    const { gateways, haproxy } = deployment.pids();
    return { gateways, haproxy, postgres: postgresPids() };
  };
  const take = () => {
    const p = pids();
    return {
      at: performance.now(),
      gateways: p.gateways.map(cpuSeconds),
      haproxy: p.haproxy ? cpuSeconds(p.haproxy) : 0,
      // A backend that ended between samples drops out: PostgreSQL's share is a lower bound.
      postgres: new Map(p.postgres.map((pid) => [pid, cpuSeconds(pid)])),
      self: process.cpuUsage(),
      machine: machineTicks(),
    };
  };
  const first = take();
  return () => {
    const last = take();
    const wall = (last.at - first.at) / 1000;
    let postgres = 0;
    for (const [pid, cpu] of last.postgres) postgres += cpu - (first.postgres.get(pid) ?? 0);
    const self = (last.self.user + last.self.system - first.self.user - first.self.system) / 1e6;
    const machine =
      ((last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total)) * cpus().length;
    const cores = {
      gateways: last.gateways.map((cpu, i) => round2((cpu - (first.gateways[i] ?? 0)) / wall)),
      haproxy: round2((last.haproxy - first.haproxy) / wall),
      postgres: round2(postgres / wall),
      bench_process_mock_and_clients: round2(self / wall),
      machine_busy: round2(machine),
      machine_cores: cpus().length,
    };
    const parts = {
      gateways: cores.gateways.reduce((a, b) => a + b, 0),
      postgres: cores.postgres,
      haproxy: cores.haproxy,
      bench_process_mock_and_clients: cores.bench_process_mock_and_clients,
    };
    // What else kept the machine busy (other users of a shared machine, the kernel's own work).
    cores.other_processes = round2(Math.max(0, machine - Object.values(parts).reduce((a, b) => a + b, 0)));
    const [largest] = Object.entries(parts).sort((a, b) => b[1] - a[1]);
    return {
      cores,
      largest_consumer: largest[0],
      machine_saturated: machine >= cpus().length * 0.9,
    };
  };
}

/** (a) turns/s with `gateways` processes behind HAProxy. */
async function scaleRun(gateways) {
  const deployment = await startDeployment({
    gateways,
    store: 'postgres',
    steps: mockSteps(chunks, chunkMs),
    label: 'scale',
  });
  try {
    const clients = [];
    for (let i = 0; i < clientCount; i++)
      clients.push(await sessionClient(deployment, `scale-user-${i % 10}`));
    // Warm: one turn each.
    await Promise.all(clients.map((client) => client.turn()));
    const sample = cpuSampler(deployment);
    const endAt = performance.now() + seconds * 1000;
    const latencies = [];
    let completed = 0;
    const failed = {};
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < endAt) {
          const begin = performance.now();
          const frame = await client.turn();
          if (frame.type === 'turn_completed') {
            completed++;
            latencies.push(performance.now() - begin);
          } else {
            const code = frame.payload.code ?? frame.type;
            failed[code] = (failed[code] ?? 0) + 1;
          }
        }
      }),
    );
    const cpu = sample();
    const elapsed = seconds + (performance.now() - endAt) / 1000;
    for (const client of clients) client.close();
    const result = {
      gateways,
      clients: clientCount,
      seconds: round2(elapsed),
      turns_completed: completed,
      turns_per_s: round2(completed / elapsed),
      failed,
      turn_latency: summarize(latencies),
      cpu,
    };
    log(
      `${gateways} gateway(s): ${result.turns_per_s} turns/s, largest CPU consumer ${cpu.largest_consumer}`,
    );
    return result;
  } finally {
    await deployment.stop();
  }
}

/** (b) warm latency, interleaved between a PostgreSQL and a libSQL gateway (and the baseline's). */
async function latencyRun() {
  const steps = mockSteps(chunks, 0);
  const variants = [
    { name: 'postgres', store: 'postgres' },
    { name: 'libsql', store: 'libsql' },
    ...(baselineBin
      ? [
          { name: 'postgres_baseline', store: 'postgres', bin: baselineBin },
          { name: 'libsql_baseline', store: 'libsql', bin: baselineBin },
        ]
      : []),
    // --sync-off: this build on PostgreSQL with [store] synchronous_commit = "off" as well.
    ...(values['sync-off']
      ? [{ name: 'postgres_sync_off', store: 'postgres', storeToml: 'synchronous_commit = "off"\n' }]
      : []),
  ];
  const stores = {};
  const ws = {};
  try {
    for (const { name, store, bin, storeToml } of variants) {
      stores[name] = await startDeployment({
        gateways: 1,
        store,
        steps,
        proxy: false,
        label: `lat-${name}`,
        ...(bin ? { bin } : {}),
        ...(storeToml ? { storeToml } : {}),
      });
      if (values.recall) await otherSession(stores[name], 'lat');
      ws[name] = await sessionClient(stores[name], 'lat');
    }
    const names = variants.map((variant) => variant.name);
    const samples = { http: {}, ws: {} };
    for (const name of names) {
      samples.http[name] = [];
      samples.ws[name] = [];
    }
    const time = async (fn) => {
      const begin = performance.now();
      await fn();
      return performance.now() - begin;
    };
    const wsTurn = async (name) => {
      const frame = await ws[name].turn();
      if (frame.type !== 'turn_completed') throw new Error(`turn on ${name}: ${JSON.stringify(frame)}`);
    };
    // Warm-up: the code paths, the connection pools.
    for (let i = 0; i < 20; i++) {
      for (const name of names) {
        await httpTurn(stores[name]);
        await wsTurn(name);
      }
    }
    for (let r = 0; r < rounds; r++) {
      // A different one goes first each round, so none always follows the same other.
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const name of order) samples.http[name].push(await time(() => httpTurn(stores[name])));
      for (const name of order) samples.ws[name].push(await time(() => wsTurn(name)));
    }
    const out = {};
    for (const kind of ['http', 'ws']) {
      const median = (name) => summarize(samples[kind][name]);
      const postgres = median('postgres');
      const lib = median('libsql');
      const entry = {
        postgres,
        libsql: lib,
        median_ratio_pg_over_libsql: round2(postgres.median_ms / lib.median_ms),
        target: '<= 1.5',
      };
      if (baselineBin) {
        const basePg = median('postgres_baseline');
        const baseLib = median('libsql_baseline');
        entry.baseline = {
          postgres: basePg,
          libsql: baseLib,
          median_ratio_pg_over_libsql: round2(basePg.median_ms / baseLib.median_ms),
        };
        entry.postgres_median_over_baseline = round2(postgres.median_ms / basePg.median_ms);
      }
      if (values['sync-off']) {
        const off = median('postgres_sync_off');
        entry.postgres_sync_off = off;
        entry.sync_off_ratio_pg_over_libsql = round2(off.median_ms / lib.median_ms);
      }
      out[kind === 'http' ? 'stateless_http_turn' : 'websocket_session_turn'] = entry;
    }
    return out;
  } finally {
    for (const client of Object.values(ws)) client.close();
    for (const deployment of Object.values(stores)) await deployment.stop();
  }
}

const result = {
  bench: 'gateway-scale',
  machine_cores: cpus().length,
  config: {
    seconds,
    clients: clientCount,
    mock: { chunks, chunk_ms: chunkMs },
    rounds,
    recall: values.recall,
    ...(baselineBin ? { baseline_bin: baselineBin } : {}),
  },
};
if (only.has('a')) {
  result.scale = [];
  for (const n of values.gateways.split(',').map(Number)) {
    result.scale.push(await scaleRun(n));
    await sleep(1000);
  }
  const base = result.scale[0]?.turns_per_s;
  for (const entry of result.scale) entry.speedup_vs_first = round2(entry.turns_per_s / base);
}
if (only.has('b')) result.warm_latency = await latencyRun();
console.log(JSON.stringify(result, null, 2));
process.exit(0);
