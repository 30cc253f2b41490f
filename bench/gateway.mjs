#!/usr/bin/env node
// The gateway daemon (`oxydra gateway`, a separate process) against a zero-latency mock LLM
// (`oxydra mock-llm`, another process) answering every call with many small text chunks:
//  (a) start-up: spawn to the first /readyz 200, median of --starts runs (target <= 300 ms), and
//      the first start in a new workspace each time against `node -e 0` (target <= 3x);
//  (b) idle RSS: 1 s after start-up, and settled once V8 has shrunk its start-up heap (target <= 80 MB);
//  (c) RSS with 1,000 idle sessions created over the protocol (20 users x 50 sessions, their
//      connections then closed), per session above idle (target <= 50 KB per session);
//  (d) 100 concurrent WebSocket clients (one user and session each) sending turns back to back
//      for --seconds: turns/s and assistant_delta frames/s received (target >= 10,000 deltas/s).
//  (e) one stored session over the protocol, turn after turn: median latency of the 30 turns
//      around turns 10, 100, 220 and 1,000 (target: no more than 1.2x turn 10's), and the
//      gateway's CPU ms per turn over the 50 around each (/proc: a busy machine's waits not in it);
//  (f) stateless turns over the OpenAI-compatible HTTP API, 10 clients: RSS after 100, 1,000 and
//      10,000 (target: within 10% of the RSS after 100, and <= 120 MB);
//  (g) as (e), but every turn carries a tool call and its result (file_read of a ~2 KB file, so
//      the stored session grows by ~2 KB a turn, as a working agent's does; (e) grows it by a short
//      text) against a second mock that answers "read the big file" with the call and the tool
//      result with a sentence (target: turn 1,000 no more than 1.2x turn 10's).
// Usage: node bench/gateway.mjs [--starts N] [--seconds S] [--clients N] [--chunks N]
//                               [--session-turns N] [--stateless-turns N] [--only abcdefg]
//                               [--gateway-node-args='--max-semi-space-size=4'] [--root DIR]
// (--only runs those sections alone: `--only f` is the memory run; b and c share a gateway.
// The gateway runs as a user runs it, `oxydra gateway` through the bin's launcher (which sizes
// the process for a daemon: docs/gateway.md, "Performance"), with this runtime's `node` first on PATH;
// --gateway-node-args runs `node <args> bin/oxydra.js gateway` instead, without the launcher:
// `--gateway-node-args=--max-semi-space-size=0` is Node's own defaults, for comparison)
// (prints one JSON object; needs `npm run build`)
// Each section is a module of bench/gateway/ (startup, idle, throughput, one-session, stateless);
// setup.mjs, gateway-process.mjs and protocol.mjs are what they share.
import { parseArgs } from 'node:util';
import { sectionsBC } from './gateway/idle.mjs';
import { sectionE, sectionG } from './gateway/one-session.mjs';
import { openBench } from './gateway/setup.mjs';
import { sectionA } from './gateway/startup.mjs';
import { sectionF } from './gateway/stateless.mjs';
import { sectionD } from './gateway/throughput.mjs';

const { values } = parseArgs({
  options: {
    starts: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '100' },
    chunks: { type: 'string', default: '100' },
    'session-turns': { type: 'string', default: '1000' },
    'stateless-turns': { type: 'string', default: '10000' },
    only: { type: 'string', default: 'abcdefg' },
    'gateway-node-args': { type: 'string', default: '' },
    root: { type: 'string' },
  },
});
const only = new Set(values.only.toLowerCase());
const run = (section) => only.has(section);
const options = {
  run,
  sessionTurns: Number(values['session-turns']),
  statelessTurns: Number(values['stateless-turns']),
  starts: Number(values.starts),
  seconds: Number(values.seconds),
  clientCount: Number(values.clients),
  chunkCount: Number(values.chunks),
};
const gatewayNodeArgs = values['gateway-node-args'].split(/\s+/).filter(Boolean);
// --root DIR: another checkout's build (e.g. /work/main) run by this copy of the benchmark, for A/B.
const bench = await openBench({ checkout: values.root, gatewayNodeArgs, chunkCount: options.chunkCount });

const results = {
  ...(run('a') ? await sectionA(bench, options) : {}),
  ...(run('b') || run('c') ? await sectionsBC(bench, options) : {}),
  ...(run('d') ? await sectionD(bench, options) : {}),
  ...(run('e') ? await sectionE(bench, options) : {}),
  ...(run('f') ? await sectionF(bench, options) : {}),
  ...(run('g') ? await sectionG(bench, options) : {}),
};

bench.close();

process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'gateway',
      node: process.version,
      gateway_command:
        gatewayNodeArgs.length > 0
          ? `node ${gatewayNodeArgs.join(' ')} bin/oxydra.js gateway`
          : 'oxydra gateway (the bin and its launcher)',
      ...(process.env.OXYDRA_GATEWAY_HEAP_GROWING_PERCENT !== undefined
        ? { heap_growing_percent: process.env.OXYDRA_GATEWAY_HEAP_GROWING_PERCENT }
        : {}),
      ...results,
    },
    null,
    2,
  )}\n`,
);
