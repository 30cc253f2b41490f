/**
 * `oxydra scheduler run` and `oxydra mcp serve` as members of a deployment on one PostgreSQL
 * schema (issue 33 item 3), as real child processes beside a real `oxydra gateway`: a user's
 * per-user limit holds between a gateway turn and a scheduled run fired by the scheduler
 * process; a scheduler process SIGKILLed mid-run has its claim reaped by the gateway, whose
 * waiting turn then takes the slot; a gateway SIGKILLed mid-turn, with only a scheduler process
 * left, has its turn reaped there and reported (its record fixed, the error frame on the bus);
 * `oxydra schedule run-now` holds the user's slot for its one run, a gateway turn waiting for it,
 * and leaves when it ends; `oxydra mcp serve` is listed as a member of its kind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Hello, type HelloClient, helloClient } from '@oxydra/gateway/testing/hello-client';
import type { GatewayClient } from '@oxydra/gateway-client';
import { openPostgresStores, PostgresEventBus, type PostgresStores } from '@oxydra/store-postgres';
import {
  describePostgres,
  dropSchema,
  freshSchema,
  POSTGRES_URL,
} from '@oxydra/store-postgres/testing/postgres-helpers';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ClusterProcess, ClusterStore } from '@oxydra/types';
import { expect, it, type TestContext, vi } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { CLUSTER_STEPS, sendTurn } from './cluster-steps.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { OXYDRA_BIN } from './helpers.js';

// Child processes streaming turns of 4-12 s on a loaded 2-core machine: a bound, not a timing assertion.
vi.setConfig({ testTimeout: 90_000 });

/** The gateway's scheduler off, so every scheduled run is the `oxydra scheduler run` process's. */
const TOML =
  '[gateway]\nmax_concurrent_turns_per_user = 1\n[scheduler]\nenabled = false\npoll_interval_secs = 1\n';

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19) + 'Z';

interface Member {
  child: ChildProcess;
  log: () => string;
  exited: Promise<unknown>;
}

/** A workspace on a fresh schema, the stores to look at it with, and its processes, all gone at the end. */
async function deployment(onTestFinished: TestContext['onTestFinished']) {
  const schema = freshSchema();
  const children: ChildProcess[] = [];
  const daemons: GatewayDaemon[] = [];
  const clients: GatewayClient[] = [];
  let stores: PostgresStores | undefined;
  let env: AgentEnv | undefined;
  onTestFinished(async () => {
    for (const client of clients) client.close();
    for (const daemon of daemons) daemon.kill('SIGKILL');
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(daemons.map((daemon) => daemon.exited));
    await stores?.close();
    await env?.close();
    await dropSchema(schema);
  });
  env = await AgentEnv.start(
    E2E_APIS[0]!,
    CLUSTER_STEPS,
    `[store]\nbackend = "postgres"\nschema = "${schema}"\n${TOML}`,
  );
  env.sandbox.env.OXYDRA_STORE_URL = POSTGRES_URL;
  const agent = env;
  const gateway = async () => {
    const daemon = await GatewayDaemon.start(agent);
    daemons.push(daemon);
    return daemon;
  };
  const first = await gateway();
  stores = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
  const cluster = stores.cluster;
  /** `oxydra <args>` as a member of `kind`: resolves once it beats on the store. */
  const member = async (args: string[], kind: ClusterProcess['kind']): Promise<Member & ClusterProcess> => {
    // stdin a pipe kept open: `oxydra mcp serve` serves until its client closes it.
    const child = spawn(process.execPath, [OXYDRA_BIN, ...args], {
      cwd: agent.workspace,
      env: agent.sandbox.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const joined = await pollUntil(
      async () => (await cluster.processes(60_000)).find((p) => p.kind === kind && p.pid === child.pid),
      `${args.join(' ')} to join the deployment`,
      { timeoutMs: 45_000 },
    );
    return { ...joined, child, log: () => log, exited };
  };
  return {
    env,
    schema,
    stores,
    cluster,
    first,
    gateway,
    member,
    async hello(daemon: GatewayDaemon, payload: Hello) {
      const opened = await helloClient(daemon.wsUrl, payload, generatedToken(agent));
      clients.push(opened.client);
      return opened;
    },
  };
}

/** Resolves once the user `default` has a run claimed by `processId` in the deployment. */
async function claimedBy(cluster: ClusterStore, processId: string): Promise<void> {
  await pollUntil(
    async () => (await cluster.runs({ userId: 'default' })).some((run) => run.processId === processId),
    'the scheduled run to claim its slot',
    { timeoutMs: 40_000 },
  );
}

/**
 * A gateway turn `t1` of the user `default`, sent while another member holds the user's one slot:
 * resolves with its client once the turn started, which it did once that slot was given back:
 * the turn is then the user's only run in the deployment.
 */
async function gatewayTurnAfterSlot(deployed: Awaited<ReturnType<typeof deployment>>): Promise<HelloClient> {
  const opened = await deployed.hello(deployed.first, { create_new_session: true });
  sendTurn(opened.client, opened.ack.session.session_id, 't1', 'slow turn on the gateway');
  await opened.inbox.take('turn_started', (f) => f.payload.turn.turn_id === 't1', 40_000);
  const gatewayId = (await deployed.cluster.processes(60_000)).find((p) => p.kind === 'gateway')?.id;
  expect((await deployed.cluster.runs({ userId: 'default' })).map((r) => r.processId)).toEqual([gatewayId]);
  return opened;
}

/**
 * A one-time schedule due `seconds` from now. `schedule add` refuses a time already past, which a
 * loaded machine's slow start can make it: then again with twice the lead.
 */
async function addSchedule(env: AgentEnv, name: string, prompt: string, seconds: number): Promise<void> {
  for (let lead = seconds; ; lead *= 2) {
    const added = await env.run(['schedule', 'add', '--at', inSeconds(lead), '--name', name, prompt]);
    if (added.status === 0) return;
    expect(added.stderr, 'only a time already past may refuse the schedule').toContain('in the past');
    expect(lead, 'a lead this long should do on any machine').toBeLessThan(120);
  }
}

describePostgres('the commands other than oxydra gateway as members of a PostgreSQL deployment', () => {
  it.concurrent("a user's one slot is taken in turn by a scheduled run of `oxydra scheduler run` and a gateway turn", async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished);
    const scheduler = await deployed.member(['scheduler', 'run'], 'scheduler');
    await addSchedule(deployed.env, 'report', 'glacial scheduled report', 10);
    // The scheduled run holds the user's slot in the deployment, claimed by the scheduler process.
    await claimedBy(deployed.cluster, scheduler.id);
    const { inbox } = await gatewayTurnAfterSlot(deployed);
    await pollUntil(
      () => /completed sch_\w+ "report"/.test(scheduler.log()),
      'the scheduled run to be recorded',
    );
    await inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't1', 30_000);
  });

  it.concurrent('a SIGKILLed `oxydra scheduler run` has its claim reaped by the gateway, whose waiting turn then runs', async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished);
    const scheduler = await deployed.member(['scheduler', 'run'], 'scheduler');
    await addSchedule(deployed.env, 'long', 'glacial scheduled work', 10);
    await claimedBy(deployed.cluster, scheduler.id);
    scheduler.child.kill('SIGKILL');
    await scheduler.exited;
    // The user's one slot is the dead process's until the gateway reaps it (within the stale limit).
    const { client, inbox, ack } = await deployed.hello(deployed.first, { create_new_session: true });
    const sessionId = ack.session.session_id;
    sendTurn(client, sessionId, 't1', 'a turn after the scheduler died');
    const done = await inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't1', 40_000);
    expect(done.payload.response.message).toBe('Answered.');
    expect(deployed.first.logs().some((line) => line.msg.includes('stopped mid-run'))).toBe(true);
    expect((await deployed.cluster.processes(60_000)).map((p) => p.kind)).toEqual(['gateway']);
  });

  it.concurrent('a gateway SIGKILLed mid-turn, reaped by `oxydra scheduler run`: the turn is recorded failed and reported on the bus', async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished);
    await deployed.member(['scheduler', 'run'], 'scheduler');
    // The test's own LISTEN on the deployment's bus: what the gateways would hear.
    const bus = await PostgresEventBus.open({
      url: POSTGRES_URL,
      schema: deployed.schema,
      processId: 'frame-listener',
      heartbeatMs: 0,
    });
    onTestFinished(() => bus.close());
    const frames: string[] = [];
    bus.subscribe('session', (data) => frames.push((JSON.parse(data) as { frame: string }).frame));
    const { client, inbox, ack } = await deployed.hello(deployed.first, { create_new_session: true });
    const sessionId = ack.session.session_id;
    sendTurn(client, sessionId, 'doomed', 'glacial and doomed');
    await inbox.take('assistant_delta', (f) => f.payload.turn.turn_id === 'doomed', 30_000);
    deployed.first.kill('SIGKILL');
    await deployed.first.exited;
    // The scheduler process, the only member left, reaps the turn and fixes its record.
    const record = await pollUntil(
      async () => {
        const state = await deployed.stores.sessions.getState(sessionId, 'gateway.turn');
        const parsed = state && (JSON.parse(state.value) as { turn_id: string; state: string });
        return parsed?.state === 'failed' && parsed;
      },
      'the turn to be recorded failed',
      { timeoutMs: 30_000 },
    );
    expect(record).toMatchObject({ turn_id: 'doomed', state: 'failed' });
    expect(await deployed.cluster.runs()).toEqual([]);
    await pollUntil(
      () => frames.some((frame) => frame.includes('turn_interrupted')),
      'the report on the bus',
    );
  });

  it.concurrent("`oxydra schedule run-now` takes the user's one slot for its run: a gateway turn waits for it, and it leaves at the end", async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished);
    // Due in an hour, and no scheduler process: only run-now runs it.
    await addSchedule(deployed.env, 'solo', 'glacial run of its own', 3600);
    const runNow = await deployed.member(['schedule', 'run-now', 'solo'], 'schedule');
    await claimedBy(deployed.cluster, runNow.id);
    const { inbox } = await gatewayTurnAfterSlot(deployed);
    // Its run ran to the end (not cut short), and the process left the deployment.
    expect(await runNow.exited).toBe(0);
    expect(runNow.log()).toMatch(/ completed /);
    expect((await deployed.cluster.processes(60_000)).map((p) => p.kind)).toEqual(['gateway']);
    await inbox.take('turn_completed', (f) => f.payload.turn.turn_id === 't1', 30_000);
  });

  it.concurrent('`oxydra mcp serve` on the store is a member of kind mcp, and leaves when its client closes', async ({
    onTestFinished,
  }) => {
    const deployed = await deployment(onTestFinished);
    const mcp = await deployed.member(['mcp', 'serve'], 'mcp');
    expect(mcp.url).toBeUndefined();
    mcp.child.stdin!.end();
    expect(await mcp.exited).toBe(0);
    expect((await deployed.cluster.processes(60_000)).map((p) => p.kind)).toEqual(['gateway']);
  });
});
