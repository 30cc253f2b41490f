#!/usr/bin/env node
// What a warm turn costs in CPU, not only in time (issue 33, "warm HTTP turn on PostgreSQL <=
// 1.5x"): on a 2-core machine the PostgreSQL server, the gateway and the bench share the cores,
// so CPU spent anywhere lengthens the next turn. One gateway on each store (no proxy, the mock
// with no delay, as gateway-scale.mjs's part b), --rounds interleaved rounds of a stateless HTTP
// turn and a WebSocket session turn on each after 20 warm-up rounds; per variant and kind of
// turn: the median, and the CPU (/proc/<pid>/stat, user + system) the gateway process and every
// `postgres` process on the machine used during its turns, per turn. A turn's writes that go on
// after its answer (the release, the settle) fall into the turn measured next, whichever that is,
// and other users of the same server count in PostgreSQL's share; the jiffies (10 ms) average out
// over the rounds. With --baseline-bin, another build's gateway on PostgreSQL in the same rounds.
// Usage: node bench/turn-cpu.mjs [--rounds 200] [--baseline-bin path/to/bin/oxydra.js]
// (prints one JSON object; needs `npm run build` and PostgreSQL as deployment.mjs says)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, mockSteps, postgresPids, startDeployment } from './deployment.mjs';
import { summarize } from './stats.mjs';
import { httpTurn, sessionClient } from './turn-clients.mjs';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '200' }, 'baseline-bin': { type: 'string' } },
});
const rounds = Number(values.rounds);
const baselineBin = values['baseline-bin'] && resolve(values['baseline-bin']);
const variants = [
  { name: 'postgres', store: 'postgres' },
  { name: 'libsql', store: 'libsql' },
  ...(baselineBin ? [{ name: 'postgres_baseline', store: 'postgres', bin: baselineBin }] : []),
];
const perTurnMs = (seconds) => Math.round((seconds / rounds) * 1e4) / 10;

const deployments = {};
const clients = {};
try {
  for (const { name, store, bin } of variants) {
    deployments[name] = await startDeployment({
      gateways: 1,
      store,
      steps: mockSteps(5, 0),
      proxy: false,
      label: `cpu-${name}`,
      ...(bin ? { bin } : {}),
    });
    clients[name] = await sessionClient(deployments[name], 'cpu');
  }
  const names = variants.map((variant) => variant.name);
  const turns = {
    http: (name) => httpTurn(deployments[name]),
    ws: async (name) => {
      const frame = await clients[name].turn();
      if (frame.type !== 'turn_completed') throw new Error(`turn on ${name}: ${JSON.stringify(frame)}`);
    },
  };
  for (let i = 0; i < 20; i++)
    for (const name of names) for (const turn of Object.values(turns)) await turn(name);
  let pgPids = postgresPids();
  const postgresCpu = () => pgPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const samples = {};
  for (const name of names)
    for (const kind of Object.keys(turns)) samples[`${kind} ${name}`] = { ms: [], gateway: 0, postgres: 0 };
  for (let r = 0; r < rounds; r++) {
    // New server processes (the pool grows) are picked up now and then, not at every turn.
    if (r % 50 === 0) pgPids = postgresPids();
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const [kind, turn] of Object.entries(turns)) {
      for (const name of order) {
        const sample = samples[`${kind} ${name}`];
        const gateway = deployments[name].pids().gateways[0];
        const gateway0 = cpuSeconds(gateway);
        const postgres0 = postgresCpu();
        const begin = performance.now();
        await turn(name);
        sample.ms.push(performance.now() - begin);
        sample.gateway += cpuSeconds(gateway) - gateway0;
        sample.postgres += postgresCpu() - postgres0;
      }
    }
  }
  const out = {};
  for (const [key, sample] of Object.entries(samples)) {
    out[key] = {
      median_ms: summarize(sample.ms).median_ms,
      gateway_cpu_ms_per_turn: perTurnMs(sample.gateway),
      postgres_cpu_ms_per_turn: perTurnMs(sample.postgres),
    };
  }
  console.log(
    JSON.stringify(
      { bench: 'turn-cpu', rounds, ...(baselineBin ? { baselineBin } : {}), turns: out },
      null,
      2,
    ),
  );
} finally {
  for (const client of Object.values(clients)) client.close();
  for (const deployment of Object.values(deployments)) await deployment.stop();
}
process.exit(0);
