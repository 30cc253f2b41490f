#!/usr/bin/env node
// The chaos test of issue 33 item 3: --gateways `oxydra gateway` processes on one PostgreSQL
// schema behind HAProxy (deploy/haproxy.cfg), --clients WebSocket clients (spread over --users
// users, each client its own session) sending turns back to back for --seconds through the
// proxy, against a mock model whose answer streams in --chunks chunks --chunk-ms apart, while one
// gateway is SIGKILLed and started again every --kill-every seconds (round robin). A client
// whose connection drops reconnects through the proxy and resumes its session by id: hello_ack's
// active_turn says how its turn stands (running: wait for the final frame; completed; failed:
// interrupted; another turn: this one never started). --schedules one-time schedules
// (`oxydra schedule add --at`) fall due during the run. Each turn's prompt carries a unique marker.
//
// At the end, with the processes stopped, it checks and prints in one JSON object:
//  (a) no turn answered twice: no marker completed twice, and no marker's user message stored
//      twice in the schema's conversation_events;
//  (b) no committed message lost: every turn a client saw completed has its user message and
//      the reply stored (same session, same turn);
//  (c) every turn not completed was reported to its client (error turn_interrupted, hello_ack
//      active_turn failed or cancelled, or "never started" with nothing stored): none unaccounted;
//  (d) every due schedule ran exactly once (schedule_runs);
//  (e) the audit chain verifies (`oxydra audit verify`, exit 0);
//  (f) budgets never overspent: the first --capped-users users have a daily cap of --cap-usd
//      (`[budgets.users.<id>] daily_usd`), every turn costs about $0.03 (the mock reports 50,000
//      output tokens of gpt-4o-mini) and `[budgets] reserve_usd` covers one call, so each capped
//      user reaches the cap during the run: what the spend table and, separately, the usage log
//      hold for that user in each day is at most the cap, and the cap was reached (a turn of the
//      user was refused with budget_exceeded), else the check would prove nothing.
// Exit code 1 when an invariant fails. Progress on stderr every 10 s.
// Usage: node bench/chaos.mjs [--seconds 300] [--clients 50] [--users 10] [--gateways 3]
//                             [--kill-every 20] [--schedules 4] [--chunks 5] [--chunk-ms 80]
//                             [--capped-users 2] [--cap-usd 0.5] [--reserve-usd 0.035]
// (needs `npm run build`, haproxy on PATH and PostgreSQL at OXYDRA_TEST_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/test; the schema is the run's own, dropped at the end)
// Each job is a module of bench/chaos/: the clients (client), the kills, the schedules, the
// invariants (turn-invariants for a to c, schedules for d, budgets for f) and the report.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { budgetInvariant } from './chaos/budgets.mjs';
import { ChaosClient, userId } from './chaos/client.mjs';
import { counts } from './chaos/counts.mjs';
import { killLoop } from './chaos/kills.mjs';
import { chaosReport } from './chaos/report.mjs';
import { addSchedules, scheduleInvariant, waitForScheduleRuns } from './chaos/schedules.mjs';
import { turnInvariants } from './chaos/turn-invariants.mjs';
import { mockSteps, startDeployment } from './deployment.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    clients: { type: 'string', default: '50' },
    users: { type: 'string', default: '10' },
    gateways: { type: 'string', default: '3' },
    'kill-every': { type: 'string', default: '20' },
    schedules: { type: 'string', default: '4' },
    chunks: { type: 'string', default: '5' },
    'chunk-ms': { type: 'string', default: '80' },
    'turn-timeout': { type: 'string', default: '30' },
    'capped-users': { type: 'string', default: '2' },
    'cap-usd': { type: 'string', default: '0.5' },
    'reserve-usd': { type: 'string', default: '0.035' },
  },
});
const seconds = Number(values.seconds);
const clientCount = Number(values.clients);
const userCount = Math.max(1, Math.min(Number(values.users), clientCount));
const gatewayCount = Number(values.gateways);
const killEvery = Number(values['kill-every']);
const scheduleCount = Number(values.schedules);
const cappedUsers = Math.min(Number(values['capped-users']), userCount);
const capUsd = Number(values['cap-usd']);
/** What the mock reports per answer: about $0.0302 at gpt-4o-mini's list price. */
const TURN_USAGE = { input: 1000, output: 50_000, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
/**
 * Reserved per model call: at least what one call costs, so a cap holds under concurrency (a
 * smaller --reserve-usd lets concurrent calls of one user pass the cap together: (f) fails).
 */
const RESERVE_USD = Number(values['reserve-usd']);
const budgetToml = [
  `\n[budgets]\nreserve_usd = ${RESERVE_USD}\n`,
  ...Array.from(
    { length: cappedUsers },
    (_, i) => `\n[budgets.users."${userId(i)}"]\ndaily_usd = ${capUsd}\n`,
  ),
].join('');
const chunks = Number(values.chunks);
const chunkMs = Number(values['chunk-ms']);
const turnTimeoutMs = Number(values['turn-timeout']) * 1000;
const log = (line) => process.stderr.write(`[chaos] ${line}\n`);

const deployment = await startDeployment({
  gateways: gatewayCount,
  store: 'postgres',
  steps: mockSteps(chunks, chunkMs, TURN_USAGE),
  extraToml: `\n[scheduler]\nenabled = true\npoll_interval_secs = 1\nmax_concurrent = 4\n${budgetToml}`,
  label: 'chaos',
});
log(`${gatewayCount} gateways on schema ${deployment.schema} behind HAProxy at ${deployment.url}`);
// Whatever ends the run early (an error, ^C), the processes stop and the schema is dropped.
const abort = async (reason) => {
  log(`aborted: ${reason?.stack ?? reason}`);
  await deployment.stop().catch((error) => log(`clean-up failed: ${error}`));
  process.exit(2);
};
process.on('uncaughtException', abort);
process.on('unhandledRejection', abort);
process.on('SIGINT', () => abort('SIGINT'));
process.on('SIGTERM', () => abort('SIGTERM'));

/** The run itself; resolves with whether every invariant held. */
async function run() {
  const startedAt = Date.now();
  /** What the clients and the kills share, and add to as the run goes (see chaos/client.mjs). */
  const state = {
    deployment,
    runId: randomBytes(3).toString('hex'),
    startedAt,
    endAt: startedAt + seconds * 1000,
    userCount,
    turnTimeoutMs,
    /** Every turn sent: marker -> { client, turnId, outcome, completions, ... }. */
    turns: new Map(),
    reconnects: 0,
    helloFailures: 0,
    latencies: [],
    /** The first few errors of each code other than turn_interrupted, with how the client's turn before ended. */
    errorExamples: [],
    kills: [],
    stopping: false,
  };
  const scheduleNames = await addSchedules(deployment, { startedAt, seconds, scheduleCount });

  const progress = setInterval(() => {
    const c = counts(state.turns);
    log(
      `${Math.round((Date.now() - startedAt) / 1000)} s: ${c.sent} turns sent, ${c.completed} completed, ${c.interrupted} interrupted, ${c.unaccounted} unaccounted, ${state.kills.length} kills, ${state.reconnects} reconnects`,
    );
  }, 10_000);

  const clients = Array.from({ length: clientCount }, (_, i) => new ChaosClient(i, state));
  const killing = killLoop(state, { deployment, gatewayCount, killEvery, log });
  await Promise.all(clients.map((client) => client.run()));
  state.stopping = true;
  await killing;
  clearInterval(progress);
  const runSeconds = (Date.now() - startedAt) / 1000;
  log(`clients done after ${runSeconds.toFixed(1)} s; waiting for the schedules`);

  const schema = deployment.schema;
  await waitForScheduleRuns(schema, scheduleNames);
  // The audit chain, while the store is as the run left it.
  const audit = await deployment.cli(['audit', 'verify']);
  await deployment.stopProcesses();

  const invariants = {
    ...(await turnInvariants(schema, state)),
    d_each_due_schedule_ran_once: await scheduleInvariant(schema, scheduleNames),
    e_audit_chain_verifies: {
      ok: audit.status === 0,
      exit_code: audit.status,
      output: (audit.stdout + audit.stderr).trim().slice(0, 500),
    },
  };
  const budgets = await budgetInvariant(schema, {
    turns: state.turns,
    userCount,
    cappedUsers,
    capUsd,
    reserveUsd: RESERVE_USD,
  });
  if (cappedUsers > 0) invariants.f_budgets_never_overspent = budgets;
  const ok = Object.values(invariants).every((entry) => entry.ok);
  const config = {
    gateways: gatewayCount,
    clients: clientCount,
    users: userCount,
    seconds,
    kill_every_s: killEvery,
    mock: { chunks, chunk_ms: chunkMs, usage: TURN_USAGE },
    capped_users: cappedUsers,
    store: 'postgres',
    proxy: 'haproxy (deploy/haproxy.cfg)',
  };
  const result = chaosReport(config, state, { runSeconds, invariants, ok });
  await deployment.stop();
  console.log(JSON.stringify(result, null, 2));
  return ok;
}

const ok = await run().catch(abort);
process.exit(ok ? 0 : 1);
