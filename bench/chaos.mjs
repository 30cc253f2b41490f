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
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { mockSteps, query, sleep, startDeployment, WebSocket } from './deployment.mjs';
import { summarize } from './stats.mjs';

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
const userId = (index) => `chaos-user-${index}`;
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
  const runId = randomBytes(3).toString('hex');
  const startedAt = Date.now();
  const endAt = startedAt + seconds * 1000;

  // ---- schedules: one-time runs falling due during the run ----
  const scheduleNames = [];
  {
    const adds = [];
    for (let i = 0; i < scheduleCount; i++) {
      const due = new Date(startedAt + ((i + 1) * seconds * 1000) / (scheduleCount + 1));
      if (due.getTime() - Date.now() < 8000) continue; // `schedule add` refuses a time in the past
      const name = `chaos-${i + 1}`;
      scheduleNames.push(name);
      adds.push(
        deployment.cli([
          'schedule',
          'add',
          '--at',
          due.toISOString().slice(0, 19),
          '--tz',
          'UTC',
          '--name',
          name,
          `scheduled chaos task ${i + 1}`,
        ]),
      );
    }
    for (const added of await Promise.all(adds)) {
      if (added.status !== 0) throw new Error(`oxydra schedule add failed: ${added.stderr}`);
    }
  }

  // ---- the clients ----
  /** Every turn sent: marker -> { client, turnId, outcome, completions, ... }. */
  const turns = new Map();
  let reconnects = 0;
  let helloFailures = 0;
  const latencies = [];
  /** The first few errors of each code other than turn_interrupted, with how the client's turn before ended. */
  const errorExamples = [];
  /** What happened to a turn, for the report of one that went wrong. */
  const note = (turn, what) => {
    if (turn.journal.length < 30)
      turn.journal.push(`${((Date.now() - startedAt) / 1000).toFixed(2)} s ${what}`);
  };

  function openSocket() {
    return new WebSocket(deployment.wsUrl, {
      headers: { authorization: `Bearer ${deployment.token}` },
      perMessageDeflate: false,
    });
  }

  class ChaosClient {
    constructor(index) {
      this.index = index;
      this.user = userId(index % userCount);
      this.sessionId = undefined;
      this.socket = undefined;
      this.generation = 0;
      this.current = undefined; // the turn waiting for its outcome
      this.requests = 0;
    }

    /** Connects through the proxy and says hello (a new session first, then this one by id); retries. */
    connect() {
      // One connection attempt at a time (a drop and a turn's time-out may both ask for one).
      this.connecting ??= this.#connect().finally(() => {
        this.connecting = undefined;
      });
      return this.connecting;
    }

    async #connect() {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
        try {
          const ack = await this.#hello();
          return ack;
        } catch (error) {
          helloFailures++;
          if (Date.now() > endAt + 60_000)
            throw new Error(`client ${this.index} could not reconnect: ${error}`);
        }
      }
    }

    #hello() {
      return new Promise((resolve, reject) => {
        const socket = openSocket();
        const generation = ++this.generation;
        const requestId = `h${++this.requests}`;
        let acked = false;
        const timer = setTimeout(() => {
          socket.terminate();
          reject(new Error('hello timed out'));
        }, 10_000);
        socket.on('error', () => {});
        socket.once('open', () => {
          socket.send(
            JSON.stringify({
              type: 'hello',
              payload: {
                request_id: requestId,
                protocol_version: 2,
                user_id: this.user,
                ...(this.sessionId ? { session_id: this.sessionId } : { create_new_session: true }),
              },
            }),
          );
        });
        socket.on('message', (data) => {
          const frame = JSON.parse(data.toString());
          if (!acked) {
            if (frame.payload?.request_id !== requestId) return;
            clearTimeout(timer);
            if (frame.type !== 'hello_ack') {
              socket.terminate();
              reject(new Error(`hello answered ${frame.type}: ${frame.payload?.message}`));
              return;
            }
            acked = true;
            this.socket = socket;
            this.sessionId = frame.payload.session.session_id;
            resolve(frame.payload);
            return;
          }
          if (generation === this.generation) this.#onFrame(frame);
        });
        socket.once('close', () => {
          clearTimeout(timer);
          if (!acked) reject(new Error('closed before hello_ack'));
          else if (generation === this.generation) void this.#onDrop();
        });
      });
    }

    #onFrame(frame) {
      // Every completion counts, even one arriving after its turn was settled (a second answer).
      if (frame.type === 'turn_completed') {
        const answered = turns.get(String(frame.payload.turn?.turn_id).slice(2));
        if (answered) answered.completions++;
      }
      const turn = this.current;
      if (!turn) return;
      const turnId = frame.payload?.turn?.turn_id;
      const mine =
        turnId === turn.turnId || (turnId === undefined && frame.payload?.request_id === turn.requestId);
      if (!mine) return;
      if (frame.type === 'turn_completed') {
        this.#settle('completed', 'frame');
      } else if (frame.type === 'turn_cancelled') this.#settle('cancelled', 'frame');
      else if (frame.type === 'error') {
        const code = frame.payload.code ?? 'unknown';
        note(turn, `error ${code}: ${String(frame.payload.message).slice(0, 160)}`);
        if (code !== 'turn_interrupted') {
          const seen = errorExamples.filter((example) => example.code === code).length;
          const previous = turns.get(this.previousMarker ?? '');
          if (seen < 3)
            errorExamples.push({
              at_s: (Date.now() - startedAt) / 1000,
              code,
              message: String(frame.payload.message).slice(0, 200),
              previous_turn: previous
                ? { outcome: previous.outcome, via: previous.via, turn_id: previous.turnId }
                : null,
            });
        }
        this.#settle(code === 'turn_interrupted' ? 'interrupted' : `error:${code}`, 'frame');
      }
    }

    /** The connection dropped: reconnect, resume the session, learn how the turn stands. */
    async #onDrop() {
      reconnects++;
      if (this.current) note(this.current, 'connection dropped');
      const ack = await this.connect().catch(() => undefined);
      this.#applyAck(ack);
    }

    #applyAck(ack) {
      const turn = this.current;
      if (!turn || !ack) return;
      turn.reconnects++;
      const active = ack.active_turn;
      note(turn, `hello_ack active_turn ${JSON.stringify(active ?? null)}`);
      if (active?.turn_id === turn.turnId) {
        if (active.state === 'running') return; // its final frame comes on this connection
        if (active.state === 'completed') this.#settle('completed', 'hello_ack');
        else if (active.state === 'failed') this.#settle('interrupted', 'hello_ack');
        else this.#settle('cancelled', 'hello_ack');
      } else {
        // The session's last turn is another: this one never started (its frame was lost).
        this.#settle('not_started', 'hello_ack');
      }
    }

    #settle(outcome, via) {
      const turn = this.current;
      if (!turn || turn.outcome) return;
      turn.outcome = outcome;
      turn.via = via;
      turn.settledAt = Date.now();
      this.current = undefined;
      turn.resolve();
    }

    /** Sends one turn and resolves once its outcome is known (or it is given up as unaccounted). */
    async turn(number) {
      const marker = `chaos-${runId}-c${this.index}-n${number}-${randomBytes(3).toString('hex')}`;
      const turn = {
        marker,
        client: this.index,
        sessionId: this.sessionId,
        turnId: `t-${marker}`,
        sentAt: Date.now(),
        completions: 0,
        reconnects: 0,
        refusals: 0,
        outcome: undefined,
        journal: [],
      };
      turns.set(marker, turn);
      this.previousMarker = this.currentMarker;
      this.currentMarker = marker;
      // A turn refused with turn_active (the session's turn before still held somewhere) never
      // started: send it again, as a client would, a little later.
      for (;;) {
        await this.#attempt(turn);
        if (turn.outcome !== 'error:turn_active' || turn.refusals >= 50 || Date.now() > endAt + 30_000) break;
        turn.refusals++;
        turn.outcome = undefined;
        await sleep(100);
      }
      if (turn.outcome === 'completed') latencies.push(turn.settledAt - turn.sentAt);
      return turn;
    }

    async #attempt(turn) {
      turn.requestId = `r${++this.requests}`;
      const settled = new Promise((resolve) => {
        turn.resolve = resolve;
      });
      this.current = turn;
      note(turn, 'sent');
      try {
        this.socket.send(
          JSON.stringify({
            type: 'send_turn',
            payload: {
              request_id: turn.requestId,
              session_id: this.sessionId,
              turn_id: turn.turnId,
              prompt: `Please answer this turn. Marker ${turn.marker}.`,
            },
          }),
        );
      } catch {
        // The socket is closing: its close handler reconnects and asks how the turn stands.
      }
      // Nothing for turnTimeoutMs: ask again on a fresh connection; still nothing: unaccounted.
      for (let round = 0; round < 2 && !turn.outcome; round++) {
        const timer = sleep(turnTimeoutMs).then(() => 'timeout');
        if ((await Promise.race([settled, timer])) !== 'timeout') break;
        note(turn, 'no final frame in time');
        if (round === 0) {
          const ack = await this.connect().catch(() => undefined);
          this.#applyAck(ack);
        }
      }
      if (!turn.outcome) this.#settle('unaccounted', 'timeout');
    }

    async run() {
      await this.connect();
      for (let n = 1; Date.now() < endAt; n++) {
        const turn = await this.turn(n);
        if (turn.outcome.startsWith('error:')) await sleep(200);
      }
      this.generation++;
      this.socket?.close();
    }
  }

  // ---- kills ----
  const kills = [];
  let stopping = false;
  async function killLoop() {
    let next = 0;
    let lastKill = Date.now();
    while (!stopping) {
      // Every killEvery seconds from the previous kill (a restart's time included).
      const wake = lastKill + killEvery * 1000;
      while (!stopping && Date.now() < wake) await sleep(200);
      if (stopping || Date.now() + 5000 > endAt) return;
      const index = next++ % gatewayCount;
      const at = Date.now();
      lastKill = at;
      await deployment.kill(index);
      log(`killed gateway ${index + 1} (SIGKILL) at ${((at - startedAt) / 1000).toFixed(1)} s`);
      const kill = { gateway: index + 1, at_s: (at - startedAt) / 1000 };
      kills.push(kill);
      const restartBegin = Date.now();
      try {
        await deployment.restart(index);
        kill.restart_ms = Date.now() - restartBegin;
      } catch (error) {
        kill.restart_error = String(error).slice(0, 500);
        log(`gateway ${index + 1} failed to restart: ${error}`);
      }
    }
  }

  function counts() {
    const out = {
      sent: turns.size,
      completed: 0,
      interrupted: 0,
      cancelled: 0,
      not_started: 0,
      unaccounted: 0,
      pending: 0,
      errors: {},
    };
    for (const turn of turns.values()) {
      if (!turn.outcome) out.pending++;
      else if (turn.outcome.startsWith('error:')) {
        const code = turn.outcome.slice(6);
        out.errors[code] = (out.errors[code] ?? 0) + 1;
      } else out[turn.outcome]++;
    }
    return out;
  }

  const progress = setInterval(() => {
    const c = counts();
    log(
      `${Math.round((Date.now() - startedAt) / 1000)} s: ${c.sent} turns sent, ${c.completed} completed, ${c.interrupted} interrupted, ${c.unaccounted} unaccounted, ${kills.length} kills, ${reconnects} reconnects`,
    );
  }, 10_000);

  const clients = Array.from({ length: clientCount }, (_, i) => new ChaosClient(i));
  const killing = killLoop();
  await Promise.all(clients.map((client) => client.run()));
  stopping = true;
  await killing;
  clearInterval(progress);
  const runSeconds = (Date.now() - startedAt) / 1000;
  log(`clients done after ${runSeconds.toFixed(1)} s; waiting for the schedules`);

  // ---- the schedules' runs: wait until each due one has run and finished ----
  const schema = deployment.schema;
  const scheduleRows = async () =>
    query(
      `SELECT s.name, r.status, r."trigger", r.due_at FROM ${schema}.schedules s
       LEFT JOIN ${schema}.schedule_runs r ON r.schedule_id = s.id ORDER BY s.name`,
    );
  {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows = await scheduleRows();
      const done = rows.filter((row) => row.status && row.status !== 'running').length;
      if (done >= scheduleNames.length || Date.now() > deadline) break;
      await sleep(1000);
    }
  }

  // ---- the audit chain, while the store is as the run left it ----
  const audit = await deployment.cli(['audit', 'verify']);
  await deployment.stopProcesses();

  // ---- invariants ----
  // A turn's user message is stored when it starts, its reply when it ends (a later append):
  // a user message "has its reply" when an assistant message follows it in its session before
  // the next user message.
  const stored = await query(
    `SELECT session_id, seq, role, payload FROM ${schema}.conversation_events
     WHERE role IN ('user', 'assistant') ORDER BY session_id, seq`,
  );
  const markerPattern = new RegExp(`chaos-${runId}-c\\d+-n\\d+-[0-9a-f]{6}`, 'g');
  const userRows = new Map(); // marker -> [{ answered }]
  let open = []; // the current session's user rows not yet followed by an assistant message
  let session;
  for (const row of stored) {
    if (row.session_id !== session) {
      session = row.session_id;
      open = [];
    }
    if (row.role === 'assistant') {
      for (const entry of open) entry.answered = true;
      open = [];
      continue;
    }
    open = [];
    for (const marker of new Set(row.payload.match(markerPattern) ?? [])) {
      const entry = { answered: false };
      open.push(entry);
      const list = userRows.get(marker) ?? [];
      list.push(entry);
      userRows.set(marker, list);
    }
  }

  const c = counts();
  const completedTwice = [...turns.values()]
    .filter((turn) => turn.completions > 1)
    .map((turn) => turn.marker);
  const storedTwice = [...userRows].filter(([, rows]) => rows.length > 1).map(([marker]) => marker);
  const missingUser = [];
  const missingReply = [];
  let checked = 0;
  for (const turn of turns.values()) {
    if (turn.outcome !== 'completed') continue;
    checked++;
    const rows = userRows.get(turn.marker);
    if (!rows) missingUser.push(turn.marker);
    else if (!rows.some((row) => row.answered)) missingReply.push(turn.marker);
  }
  // A turn reported "never started" must have nothing stored.
  const notStartedButStored = [...turns.values()]
    .filter((turn) => turn.outcome === 'not_started' && userRows.has(turn.marker))
    .map((turn) => ({ marker: turn.marker, journal: turn.journal }));
  const unaccounted = [...turns.values()].filter((turn) => !turn.outcome || turn.outcome === 'unaccounted');

  const rows = await scheduleRows();
  const perSchedule = {};
  for (const name of scheduleNames) perSchedule[name] = { runs: 0, statuses: [] };
  for (const row of rows) {
    if (!perSchedule[row.name] || !row.status) continue;
    perSchedule[row.name].runs++;
    perSchedule[row.name].statuses.push(row.status);
  }
  const schedulesOnce = Object.values(perSchedule).every((entry) => entry.runs === 1);

  // Budgets: per capped user and UTC day, the spend table's total and (counted apart) the usage
  // log's, against the cap; and whether the cap bit (a turn of the user refused for it).
  const capped = Array.from({ length: cappedUsers }, (_, i) => userId(i));
  const spendRows = await query(
    `SELECT scope, period, usd FROM ${schema}.budget_spend WHERE scope = ANY($1::text[])`,
    [capped.map((user) => `user:${user}`)],
  );
  const usageRows = await query(
    `SELECT user_id, to_char(to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
            sum(cost_usd) AS usd, count(*) AS calls
     FROM ${schema}.usage_log WHERE user_id = ANY($1::text[]) GROUP BY 1, 2`,
    [capped],
  );
  const budgetRefused = new Map(capped.map((user) => [user, 0]));
  for (const turn of turns.values()) {
    const user = userId(turn.client % userCount);
    if (turn.outcome === 'error:budget_exceeded' && budgetRefused.has(user))
      budgetRefused.set(user, budgetRefused.get(user) + 1);
  }
  const perUser = Object.fromEntries(
    capped.map((user) => [
      user,
      {
        spend_by_period: Object.fromEntries(
          spendRows.filter((row) => row.scope === `user:${user}`).map((row) => [row.period, Number(row.usd)]),
        ),
        usage_log_by_day: Object.fromEntries(
          usageRows
            .filter((row) => row.user_id === user)
            .map((row) => [row.day, { usd: Number(row.usd), calls: Number(row.calls) }]),
        ),
        turns_refused_budget_exceeded: budgetRefused.get(user),
      },
    ]),
  );
  // Floating sums of many small charges: a cent's millionth is rounding, not overspending.
  const withinCap = (usd) => usd <= capUsd + 1e-9;
  const overspent = Object.entries(perUser).filter(
    ([, entry]) =>
      !Object.values(entry.spend_by_period).every(withinCap) ||
      !Object.values(entry.usage_log_by_day).every((day) => withinCap(day.usd)),
  );
  const neverBit = Object.entries(perUser).filter(([, entry]) => entry.turns_refused_budget_exceeded === 0);

  const invariants = {
    a_no_turn_answered_twice: {
      ok: completedTwice.length === 0 && storedTwice.length === 0,
      completed_twice: completedTwice.length,
      stored_twice: storedTwice.length,
      examples: [...completedTwice, ...storedTwice].slice(0, 5),
    },
    b_no_committed_message_lost: {
      ok: missingUser.length === 0 && missingReply.length === 0,
      completed_checked: checked,
      missing_user_message: missingUser.length,
      missing_reply: missingReply.length,
      examples: [...missingUser, ...missingReply].slice(0, 5),
    },
    c_no_turn_silently_lost: {
      ok: unaccounted.length === 0 && notStartedButStored.length === 0,
      unaccounted: unaccounted.length,
      reported_not_started_but_stored: notStartedButStored.length,
      examples: [
        ...unaccounted.map((turn) => ({ marker: turn.marker, journal: turn.journal })),
        ...notStartedButStored,
      ].slice(0, 5),
    },
    d_each_due_schedule_ran_once: {
      ok: schedulesOnce,
      schedules: scheduleNames.length,
      runs: perSchedule,
    },
    e_audit_chain_verifies: {
      ok: audit.status === 0,
      exit_code: audit.status,
      output: (audit.stdout + audit.stderr).trim().slice(0, 500),
    },
  };
  if (cappedUsers > 0) {
    invariants.f_budgets_never_overspent = {
      ok: overspent.length === 0 && neverBit.length === 0,
      cap_usd_per_day: capUsd,
      reserve_usd: RESERVE_USD,
      overspent: overspent.map(([user]) => user),
      cap_never_reached: neverBit.map(([user]) => user),
      users: perUser,
    };
  }
  const ok = Object.values(invariants).every((entry) => entry.ok);
  const result = {
    bench: 'chaos',
    config: {
      gateways: gatewayCount,
      clients: clientCount,
      users: userCount,
      seconds,
      kill_every_s: killEvery,
      mock: { chunks, chunk_ms: chunkMs, usage: TURN_USAGE },
      capped_users: cappedUsers,
      store: 'postgres',
      proxy: 'haproxy (deploy/haproxy.cfg)',
    },
    run_seconds: Math.round(runSeconds * 10) / 10,
    turns: {
      sent: c.sent,
      completed: c.completed,
      completed_learned_from_hello_ack: [...turns.values()].filter(
        (t) => t.outcome === 'completed' && t.via === 'hello_ack',
      ).length,
      reported_interrupted: c.interrupted,
      interrupted_via_error_frame: [...turns.values()].filter(
        (t) => t.outcome === 'interrupted' && t.via === 'frame',
      ).length,
      interrupted_via_hello_ack: [...turns.values()].filter(
        (t) => t.outcome === 'interrupted' && t.via === 'hello_ack',
      ).length,
      cancelled: c.cancelled,
      never_started: c.not_started,
      other_errors: c.errors,
      // Sends refused with turn_active (the session's turn before still held), each sent again.
      turn_active_refusals_resent: [...turns.values()].reduce((sum, turn) => sum + turn.refusals, 0),
      other_error_examples: errorExamples,
      unaccounted: unaccounted.length,
      completed_per_s: Math.round((c.completed / runSeconds) * 10) / 10,
    },
    completed_turn_latency: summarize(latencies),
    kills: kills.length,
    kill_log: kills,
    reconnects,
    failed_hello_attempts: helloFailures,
    invariants,
    ok,
  };
  await deployment.stop();
  console.log(JSON.stringify(result, null, 2));
  return ok;
}

const ok = await run().catch(abort);
process.exit(ok ? 0 : 1);
