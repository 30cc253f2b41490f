#!/usr/bin/env node
// What one warm turn asks of its store (issue 33, "warm HTTP turn on PostgreSQL <= 1.5x"): one
// gateway on each store (no proxy, the mock with no delay), --warmup turns of each kind, then
// --turns traced turns of each kind, 300 ms apart so each turn's late writes land in its own
// interval. Every statement is recorded in the gateway (turn-statements-preload.mjs; the
// unbundled CLI, OXYDRA_NO_BUNDLE=1, so its pg and libsql are the ones patched). Per turn, medians:
//  - statements: PostgreSQL's include the event bus's NOTIFYs; the cluster's beat and reaper, on a
//    timer of their own, are left out;
//  - round_trips (PostgreSQL): statements written after the answer to the one before on the same
//    connection (statements pipelined behind another share its round trip), over every connection;
//    store_round_trips the same without the event bus's NOTIFYs (never waited for by the turn);
//  - flushed_commits: commits that wait for the WAL flush (a COMMIT, or a write outside a
//    transaction); relaxed_commits: COMMITs after `synchronous_commit` was set off; notifies;
//  - libSQL: statements and COMMITs (none waits for a flush: WAL with synchronous=NORMAL);
//  - commits_before_response: COMMITs answered (libSQL: run) before the client read the response.
// --recall: another session of the same user, with one turn, made first, so every session turn's
// recall searches (without it the only session has nothing to recall and the search is skipped).
// --bin: another build's bin/oxydra.js (a baseline), traced the same way.
// Usage: node bench/turn-statements.mjs [--turns 8] [--warmup 10] [--dump] [--recall] [--bin path]
// (prints one JSON object; --dump adds the last traced turn's statements of each kind, in order,
// with the ms since the turn began, its connection and its answer time, and where the mock was
// asked and the client read the response; needs `npm run build` and PostgreSQL at
// OXYDRA_TEST_POSTGRES_URL as deployment.mjs says)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mockSteps, sleep, startDeployment } from './deployment.mjs';
import { httpTurn, otherSession, sessionClient } from './turn-clients.mjs';

const { values } = parseArgs({
  options: {
    turns: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '10' },
    dump: { type: 'boolean', default: false },
    recall: { type: 'boolean', default: false },
    bin: { type: 'string' },
  },
});
/** Another build's CLI (a baseline): its own tree's pg and libsql are the ones patched. */
const bin = values.bin && resolve(values.bin);
const turns = Number(values.turns);
const warmup = Number(values.warmup);
const PRELOAD = fileURLToPath(new URL('./turn-statements-preload.mjs', import.meta.url));
/** The cluster's own timers, not a turn's work. */
const BACKGROUND = /^(INSERT INTO cluster_processes|SELECT id FROM cluster_processes WHERE beat_at)/;
const WRITE = /^(INSERT|UPDATE|DELETE|WITH)/;
const RELAX = /SET LOCAL synchronous_commit = off|set_config\('synchronous_commit', 'off'/;

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A PostgreSQL turn's statements, without whole transactions of the background timers. */
function withoutBackground(entries) {
  const kept = [];
  const open = new Map(); // connection -> statements of its transaction so far
  for (const entry of entries) {
    const tx = open.get(entry.conn);
    if (entry.text === 'BEGIN') open.set(entry.conn, [entry]);
    else if (tx) {
      tx.push(entry);
      if (entry.text === 'COMMIT' || entry.text === 'ROLLBACK') {
        open.delete(entry.conn);
        if (!tx.some((e) => BACKGROUND.test(e.text))) kept.push(...tx);
      }
    } else if (!BACKGROUND.test(entry.text)) kept.push(entry);
  }
  for (const tx of open.values()) kept.push(...tx);
  return kept.sort((a, b) => a.t - b.t);
}

function postgresCounts(entries, responseAt) {
  const statements = withoutBackground(entries);
  const answeredAt = new Map();
  const inTx = new Map();
  let roundTrips = 0;
  let storeRoundTrips = 0;
  let flushed = 0;
  let relaxed = 0;
  let notifies = 0;
  for (const e of statements) {
    if (!answeredAt.has(e.conn) || e.t >= answeredAt.get(e.conn)) {
      roundTrips++;
      if (!e.text.includes('pg_notify')) storeRoundTrips++;
    }
    answeredAt.set(e.conn, Math.max(answeredAt.get(e.conn) ?? 0, e.answered ?? e.t));
    if (e.text.includes('pg_notify')) notifies++;
    else if (e.text === 'BEGIN') inTx.set(e.conn, { relaxed: false });
    else if (RELAX.test(e.text) && inTx.has(e.conn)) inTx.get(e.conn).relaxed = true;
    else if (e.text === 'COMMIT') {
      if (inTx.get(e.conn)?.relaxed) relaxed++;
      else flushed++;
      inTx.delete(e.conn);
    } else if (e.text === 'ROLLBACK') inTx.delete(e.conn);
    else if (!inTx.has(e.conn) && WRITE.test(e.text)) flushed++;
  }
  return {
    // COMMITs answered before the client read the response: the commits the answer waited for
    // (or that happened to end first).
    commits_before_response: statements.filter(
      (e) => e.text === 'COMMIT' && e.answered !== undefined && e.answered < responseAt,
    ).length,
    statements: statements.length,
    round_trips: roundTrips,
    store_round_trips: storeRoundTrips,
    flushed_commits: flushed,
    relaxed_commits: relaxed,
    notifies,
  };
}

function libsqlCounts(entries, responseAt) {
  // Each statement is recorded once (the preload does not record all()'s inner iterate()).
  const statements = entries.filter((e) => !e.text.startsWith('PRAGMA busy_timeout'));
  const commits = statements.filter((e) => e.text === 'COMMIT');
  return {
    commits_before_response: commits.filter((e) => e.t < responseAt).length,
    statements: statements.length,
    commits: commits.length,
  };
}

async function traceStore(store, dir) {
  const trace = join(dir, `${store}.jsonl`);
  writeFileSync(trace, '');
  const deployment = await startDeployment({
    gateways: 1,
    store,
    steps: mockSteps(5, 0),
    proxy: false,
    label: `stmts-${store}`,
    ...(bin ? { bin } : {}),
    extraEnv: {
      ...(bin ? { OXYDRA_BENCH_ROOT: resolve(dirname(bin), '../../..') } : {}),
      OXYDRA_NO_BUNDLE: '1',
      OXYDRA_BENCH_TRACE: trace,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PRELOAD}`.trim(),
    },
  });
  const marks = [];
  // When the mock was asked (its body read), to place the model call among the statements.
  const asked = [];
  const requests = deployment.mock.requests;
  requests.push = (...records) => {
    asked.push(performance.timeOrigin + performance.now());
    return Array.prototype.push.apply(requests, records);
  };
  try {
    if (values.recall) await otherSession(deployment, 'stmts');
    const ws = await sessionClient(deployment, 'stmts');
    const wsTurn = async () => {
      const frame = await ws.turn();
      if (frame.type !== 'turn_completed') throw new Error(`turn on ${store}: ${JSON.stringify(frame)}`);
    };
    for (let i = 0; i < warmup; i++) {
      await httpTurn(deployment);
      await wsTurn();
    }
    await sleep(500);
    const at = () => performance.timeOrigin + performance.now();
    for (let i = 0; i < turns; i++) {
      for (const [kind, turn] of [
        ['http', () => httpTurn(deployment)],
        ['ws', wsTurn],
      ]) {
        const mark = { kind, t: at() };
        marks.push(mark);
        await turn();
        mark.ms = at() - mark.t;
        await sleep(300);
      }
    }
    marks.push({ kind: 'end', t: at() });
    ws.close();
    await sleep(300); // the gateway's last flush of the trace
  } finally {
    await deployment.stop();
  }
  const entries = readFileSync(trace, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .sort((a, b) => a.t - b.t);
  const out = {};
  for (const kind of ['http', 'ws']) {
    const perTurn = [];
    let last = [];
    marks.forEach((mark, i) => {
      if (mark.kind !== kind) return;
      const inside = entries.filter((e) => e.t >= mark.t && e.t < marks[i + 1].t);
      // The client's answer in its place among the statements: what comes after it, the turn did not wait for.
      last = [
        ...(store === 'postgres' ? withoutBackground(inside) : inside),
        { t: mark.t + mark.ms, conn: 'client', text: '(the response is read)' },
        ...asked
          .filter((t) => t >= mark.t && t < marks[i + 1].t)
          .map((t) => ({ t, conn: 'mock', text: '(the model is asked)' })),
      ]
        .sort((a, b) => a.t - b.t)
        .map(
          (e) =>
            `${(e.t - mark.t).toFixed(2)} ${e.conn}${e.answered ? ` +${(e.answered - e.t).toFixed(2)}` : ''} ${e.text}`,
        );
      perTurn.push({
        turn_ms: mark.ms,
        ...(store === 'postgres'
          ? postgresCounts(inside, mark.t + mark.ms)
          : libsqlCounts(inside, mark.t + mark.ms)),
      });
    });
    const medians = {};
    for (const key of Object.keys(perTurn[0]))
      medians[key] = Math.round(median(perTurn.map((x) => x[key])) * 10) / 10;
    out[kind === 'http' ? 'stateless_http_turn' : 'websocket_session_turn'] = values.dump
      ? { ...medians, last_turn: last }
      : medians;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'oxydra-turn-statements-'));
try {
  const result = { bench: 'turn-statements', config: { turns, warmup, recall: values.recall } };
  for (const store of ['postgres', 'libsql']) result[store] = await traceStore(store, dir);
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
