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
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startMockProcess } from './mock-process.mjs';
import { mockWorkspace } from './mock-workspace.mjs';
import { summarize } from './stats.mjs';

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
const sessionTurns = Number(values['session-turns']);
const statelessTurns = Number(values['stateless-turns']);
const starts = Number(values.starts);
const seconds = Number(values.seconds);
const clientCount = Number(values.clients);
const chunkCount = Number(values.chunks);
const gatewayNodeArgs = values['gateway-node-args'].split(/\s+/).filter(Boolean);
// --root DIR: another checkout's build (e.g. /work/main) run by this copy of the benchmark, for A/B.
const bin = values.root
  ? join(values.root, 'packages/cli/bin/oxydra.js')
  : fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
const TOKEN = 'bench-gateway-token-0123456789';
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-gateway-'));
const round = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The user's environment as it is (stripping it hides start-up work real runs pay), with a
// home and system folder of the benchmark's own so no real configuration is read.
const gatewayEnv = {
  ...process.env,
  HOME: join(root, 'home'),
  OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc'),
  OXYDRA_GATEWAY_TOKEN: TOKEN,
};
// Whatever happens (a failed turn throws), no gateway or mock outlives the benchmark.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

// ---- the mock LLM, in its own process ----
const words = Array.from({ length: chunkCount }, (_, i) => `w${i}`).join(' ');
const scenarioPath = join(root, 'scenario.json');
writeFileSync(
  scenarioPath,
  JSON.stringify({ steps: [{ reply: { text: words, textChunks: chunkCount }, times: 'always' }] }),
);
const { url: mockUrl, child: mock } = await startMockProcess(bin, scenarioPath);
children.add(mock);

// The per-connection frame limit (50/s by default) is a flood guard; one client sending turns
// back to back as fast as the gateway answers them (sections e and g) is what is measured here.
const BENCH_TOML =
  '\n[tools]\napproval = "auto"\n\n[gateway]\nrate_limit_per_sec = 100000\nrate_limit_burst = 100000\n';

function workspace(name) {
  return mockWorkspace(join(root, name), mockUrl, BENCH_TOML, gatewayEnv, bin);
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A process's CPU time so far, user and system, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function cpuTicksOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
const MS_PER_TICK = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100);

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Starts `oxydra gateway` and resolves once /readyz answers 200, with the time it took. */
async function startGateway(dir) {
  const port = await freePort();
  const env = gatewayEnv;
  const args = ['gateway', '--bind', `127.0.0.1:${port}`, '--log-format', 'json'];
  const options = { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] };
  const begin = performance.now();
  const child =
    gatewayNodeArgs.length > 0
      ? spawn(process.execPath, [...gatewayNodeArgs, bin, ...args], options)
      : spawn(bin, args, {
          ...options,
          env: { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH}` },
        });
  children.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    children.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error('oxydra gateway exited during start-up');
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) break;
    } catch {}
    await sleep(2);
  }
  const readyMs = performance.now() - begin;
  return {
    child,
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    readyMs,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A protocol client: counts assistant_delta frames, and resolves a waiter when the frame it
 * waits for arrives (by type, and by request_id when given). Final frames of a turn nobody waits
 * for are counted as unexpected: there should be none.
 */
function connect(wsUrl) {
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

async function hello(client, payload) {
  const ack = client.next(['hello_ack', 'error'], 'h');
  client.send({ type: 'hello', payload: { request_id: 'h', protocol_version: 2, ...payload } });
  const frame = await ack;
  if (frame.type !== 'hello_ack') throw new Error(`hello failed: ${frame.payload.message}`);
  return frame.payload.session.session_id;
}

// ---- (a) start-up ----
async function sectionA() {
  const startDir = workspace('start');
  const readyTimes = [];
  for (let i = 0; i < starts + 1; i++) {
    const gateway = await startGateway(startDir);
    if (i > 0) readyTimes.push(gateway.readyMs); // the first run creates the database
    await gateway.stop();
  }
  const ready = summarize(readyTimes);
  // The first start in a new workspace (its databases created, its state adopted), as a user
  // meets it, interleaved with `node -e 0` (the floor any Node process pays here).
  const freshTimes = [];
  const nodeTimes = [];
  for (let i = 0; i < starts; i++) {
    const gateway = await startGateway(workspace(`start-fresh-${i}`));
    freshTimes.push(gateway.readyMs);
    await gateway.stop();
    const began = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    nodeTimes.push(performance.now() - began);
  }
  const fresh = summarize(freshTimes);
  const floor = summarize(nodeTimes);
  const ratio = fresh.median_ms / floor.median_ms;
  return {
    a_startup_to_readyz: { ...ready, target: 'median <= 300 ms', meets_target: ready.median_ms <= 300 },
    a_fresh_workspace_startup: {
      ...fresh,
      node_e_0: floor,
      ratio_to_node_e_0: round(ratio),
      target: '<= 3x node -e 0',
      meets_target: ratio <= 3,
    },
  };
}

// ---- (b) idle RSS, (c) 1,000 idle sessions (on the same gateway) ----
async function sectionsBC() {
  const sessionsDir = workspace('sessions');
  const idle = await startGateway(sessionsDir);
  await sleep(1000);
  const idleRss = rssMb(idle.child.pid);
  const result = {};
  if (run('b')) {
    // What an operator sees on an idle gateway: V8 keeps the young generation at the size
    // start-up grew it to until its memory reducer runs (~10 s of quiet later), then returns it.
    // Sampled for up to 30 s; settled once three samples in a row agree after that drop.
    const idleSamples = [idleRss];
    for (let t = 0; t < 58; t++) {
      await sleep(500);
      idleSamples.push(rssMb(idle.child.pid));
      const last = idleSamples.slice(-3);
      if (idleSamples.length > 10 && last.every((x) => Math.abs(x - last[0]) < 0.5) && last[0] < idleRss - 1)
        break;
    }
    const settledRss = idleSamples.at(-1);
    result.b_idle_rss_mb = {
      value: round(settledRss),
      settled_after_s: (idleSamples.length - 1) / 2 + 1,
      one_second_after_ready: round(idleRss),
      target: '<= 80 MB once idle',
      meets_target: settledRss <= 80,
    };
  }
  if (run('c')) {
    const USERS = 20;
    const PER_USER = 50;
    await Promise.all(
      Array.from({ length: USERS }, async (_, u) => {
        const client = await connect(idle.wsUrl);
        await hello(client, { user_id: `user${u}`, create_new_session: true });
        for (let s = 1; s < PER_USER; s++) {
          const created = client.next(['session_created', 'error'], `c${s}`);
          client.send({ type: 'create_session', payload: { request_id: `c${s}` } });
          const frame = await created;
          if (frame.type !== 'session_created')
            throw new Error(`create_session failed: ${frame.payload.message}`);
        }
        client.socket.close();
      }),
    );
    await sleep(1000);
    const sessionsRss = rssMb(idle.child.pid);
    const listed = await (
      await fetch(`${idle.url}/v1/sessions?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json();
    const perSessionKb = ((sessionsRss - idleRss) * 1024) / (USERS * PER_USER);
    result.c_idle_sessions = {
      sessions: USERS * PER_USER,
      listed: listed.sessions.length,
      rss_mb: round(sessionsRss),
      per_session_kb: round(perSessionKb),
      target: '<= 50 KB per idle session',
      meets_target: perSessionKb <= 50,
    };
  }
  await idle.stop();
  return result;
}

let turnCounter = 0;
async function turn(client, prompt = 'stream please') {
  const id = `t${turnCounter++}`;
  const done = client.next(['turn_completed', 'error', 'turn_cancelled'], id);
  client.send({
    type: 'send_turn',
    payload: { request_id: id, session_id: client.sessionId, turn_id: id, prompt },
  });
  const frame = await done;
  if (frame.type !== 'turn_completed') throw new Error(`turn failed: ${JSON.stringify(frame.payload)}`);
}

// ---- (d) throughput ----
async function sectionD() {
  const loadDir = workspace('load');
  const load = await startGateway(loadDir);
  const clients = await Promise.all(
    Array.from({ length: clientCount }, async (_, i) => {
      const client = await connect(load.wsUrl);
      client.sessionId = await hello(client, { user_id: `load${i}`, create_new_session: true });
      return client;
    }),
  );
  await Promise.all(clients.map((client) => turn(client))); // warm-up
  for (const client of clients) client.deltas = 0;
  let turnsDone = 0;
  let stop = false;
  const began = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(load.child.pid));
  }, 250);
  await Promise.all(
    clients.map(async (client) => {
      while (!stop) {
        await turn(client);
        turnsDone++;
        if (performance.now() - began >= seconds * 1000) stop = true;
      }
    }),
  );
  const elapsedS = (performance.now() - began) / 1000;
  clearInterval(sampler);
  const deltas = clients.reduce((sum, client) => sum + client.deltas, 0);
  const unexpected = clients.reduce((sum, client) => sum + client.unexpected, 0);
  for (const client of clients) client.socket.close();
  await load.stop();
  const deltasPerS = deltas / elapsedS;
  return {
    d_throughput: {
      clients: clientCount,
      chunks_per_answer: chunkCount,
      seconds: round(elapsedS),
      turns: turnsDone,
      turns_per_s: round(turnsDone / elapsedS),
      assistant_delta_frames: deltas,
      delta_frames_per_s: Math.round(deltasPerS),
      peak_rss_mb: round(peakRss),
      unexpected_final_frames: unexpected,
      target: '>= 10,000 assistant_delta frames/s',
      meets_target: deltasPerS >= 10_000,
    },
  };
}

// ---- (e) one stored session, turn after turn ----
async function sectionE() {
  return { e_one_session: await oneSession('e', workspace('one-session'), 'stream please') };
}

// ---- (g) one stored session whose turns carry a tool call and its ~2 KB result ----
async function sectionG() {
  const payload = `BENCH-PAYLOAD ${'0123456789abcdef'.repeat(128)}\n`; // ~2 KB
  const scenario = join(root, 'tool-scenario.json');
  writeFileSync(
    scenario,
    JSON.stringify({
      steps: [
        {
          match: { lastMessageContains: 'BENCH-PAYLOAD' },
          reply: { text: 'The file holds the payload.' },
          times: 'always',
        },
        {
          match: { lastMessageContains: 'read the big file' },
          reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'big.txt' } }] },
          times: 'always',
        },
      ],
    }),
  );
  const { url, child } = await startMockProcess(bin, scenario);
  children.add(child);
  try {
    // Its own workspace, with section e's raised frame limit: at ~13 ms a turn it sends more than
    // the default 50 frames/s, and a refused send_turn (before its error named the request) hung it.
    const dir = mockWorkspace(join(root, 'tool-session'), url, BENCH_TOML, gatewayEnv, bin);
    writeFileSync(join(dir, 'big.txt'), payload);
    return { g_one_session_with_tools: await oneSession('g', dir, 'read the big file') };
  } finally {
    child.kill('SIGTERM');
    children.delete(child);
  }
}

/** Turn after turn in one stored session: the median latency around turns 10, 100, 220, 1,000. */
async function oneSession(section, dir, prompt) {
  const sessionGateway = await startGateway(dir);
  const sessionClient = await connect(sessionGateway.wsUrl);
  // Warm-up in another session first, so turn 10 measures a warm process, not the JIT.
  sessionClient.sessionId = await hello(sessionClient, { user_id: 'long', create_new_session: true });
  for (let i = 0; i < 30; i++) await turn(sessionClient, prompt);
  const measured = sessionClient.next(['session_created', 'error'], 'measured');
  sessionClient.send({ type: 'create_session', payload: { request_id: 'measured' } });
  const created = await measured;
  if (created.type !== 'session_created')
    throw new Error(`create_session failed: ${created.payload.message}`);
  sessionClient.sessionId = created.payload.session.session_id;
  const turnMs = [];
  // The gateway's CPU time (user + system, clock ticks) before each turn and after the last.
  const cpuTicks = [];
  const pid = sessionGateway.child.pid;
  for (let i = 0; i < sessionTurns; i++) {
    const began = performance.now();
    cpuTicks.push(cpuTicksOf(pid));
    await turn(sessionClient, prompt);
    turnMs.push(performance.now() - began);
    if ((i + 1) % 250 === 0)
      process.stderr.write(`(${section}) ${i + 1}/${sessionTurns} turns in one session\n`);
  }
  cpuTicks.push(cpuTicksOf(pid));
  sessionClient.socket.close();
  await sessionGateway.stop();
  /** Turns [from, to) of a window of `size` around turn `n` (1-based), inside the run. */
  const windowAt = (n, size) => {
    const from = Math.max(0, Math.min(n - 1 - Math.floor(size / 2), sessionTurns - size));
    return [from, Math.min(sessionTurns, from + size)];
  };
  /** The median latency of the 30 turns around turn `n` (10 were too few on a busy machine). */
  const turnAt = (n) => {
    const [from, to] = windowAt(n, 30);
    const window = turnMs.slice(from, to).sort((a, b) => a - b);
    return window[Math.floor(window.length / 2)];
  };
  /** The gateway's CPU ms per turn over the 50 turns around turn `n`: time spent waiting for a core is not in it. */
  const cpuAt = (n) => {
    const [from, to] = windowAt(n, 50);
    return ((cpuTicks[to] - cpuTicks[from]) * MS_PER_TICK) / (to - from);
  };
  // --session-turns past 1,000: its last turn too.
  const sessionPoints = [...new Set([10, 100, 220, 1000, Math.max(1000, sessionTurns)])].filter(
    (n) => n <= sessionTurns,
  );
  const ratio = (f, n) => Math.round((f(n) / f(sessionPoints[0])) * 100) / 100;
  const growth = turnAt(sessionPoints.at(-1)) / turnAt(10);
  return {
    turns: sessionTurns,
    median_ms_at_turn: Object.fromEntries(sessionPoints.map((n) => [n, round(turnAt(n))])),
    ratio_to_turn_10: Object.fromEntries(sessionPoints.map((n) => [n, ratio(turnAt, n)])),
    growth_last_over_turn_10: Math.round(growth * 100) / 100,
    gateway_cpu_ms_per_turn_at: Object.fromEntries(sessionPoints.map((n) => [n, round(cpuAt(n))])),
    gateway_cpu_ratio_to_turn_10: Object.fromEntries(sessionPoints.map((n) => [n, ratio(cpuAt, n)])),
    target: 'turn 220 (and 1,000) <= 1.2x turn 10',
    meets_target: growth <= 1.2 && (sessionTurns < 220 || turnAt(220) / turnAt(10) <= 1.2),
  };
}

// ---- (f) RSS over many stateless turns (the OpenAI-compatible HTTP API, no stored session) ----
async function sectionF() {
  const statelessGateway = await startGateway(workspace('stateless'));
  const rssAt = {};
  const marks = [100, 1000, 10_000].filter((n) => n <= statelessTurns);
  let sent = 0;
  let completed = 0;
  const began = performance.now();
  async function statelessClient() {
    while (sent < statelessTurns) {
      sent++;
      const response = await fetch(`${statelessGateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hello' }] }),
      });
      if (response.status !== 200) throw new Error(`chat completion: HTTP ${response.status}`);
      await response.arrayBuffer();
      completed++;
      for (const mark of marks) {
        if (completed === mark) {
          rssAt[mark] = rssMb(statelessGateway.child.pid);
          process.stderr.write(`(f) ${mark} stateless turns: ${round(rssAt[mark])} MB\n`);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: 10 }, () => statelessClient()));
  const elapsedS = (performance.now() - began) / 1000;
  await statelessGateway.stop();
  const rssGrowth = rssAt[marks.at(-1)] / rssAt[marks[0]];
  const rssPeak = Math.max(...Object.values(rssAt));
  return {
    f_stateless_rss: {
      turns: statelessTurns,
      turns_per_s: round(statelessTurns / elapsedS),
      rss_mb_after: Object.fromEntries(marks.map((n) => [n, round(rssAt[n])])),
      growth_over_first: Math.round(rssGrowth * 100) / 100,
      target: 'within 10% of the RSS after 100 turns, and <= 120 MB',
      meets_target: rssGrowth <= 1.1 && rssPeak <= 120,
    },
  };
}

const results = {
  ...(run('a') ? await sectionA() : {}),
  ...(run('b') || run('c') ? await sectionsBC() : {}),
  ...(run('d') ? await sectionD() : {}),
  ...(run('e') ? await sectionE() : {}),
  ...(run('f') ? await sectionF() : {}),
  ...(run('g') ? await sectionG() : {}),
};

mock.kill('SIGTERM');
rmSync(root, { recursive: true, force: true });

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
