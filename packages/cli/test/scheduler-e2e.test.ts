/**
 * The scheduler with the real binary and real time: a 1-minute cron an agent creates over the
 * gateway's WebSocket fires within the minute, its run is recorded with cost and the client
 * gets the notification; two gateways on one workspace fire each due run once; an
 * `oxydra scheduler run` killed mid-run and started again records the cut run as interrupted,
 * makes up the run that fell due while it was down once, and runs nothing twice.
 *
 * The tests run side by side (describe.concurrent): each spends most of its time waiting on the
 * clock (the next minute, a due time), and each has a workspace, mock model and gateways of its
 * own, closed when it ends.
 */

import { helloClient } from '@oxydra/gateway/testing/hello-client';
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it, type TestContext } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

const SCHEDULER_ON = '[scheduler]\nenabled = true\npoll_interval_secs = 1\n';
const COST = { input: 50_000, output: 800 };

/** A gateway on `env`, stopped when the test ends. */
async function startGateway(context: TestContext, env: AgentEnv): Promise<GatewayDaemon> {
  const daemon = await GatewayDaemon.start(env);
  context.onTestFinished(async () => {
    daemon.kill();
    await daemon.exited;
  });
  return daemon;
}

interface RunJson {
  id: string;
  status: string;
  trigger: string;
  costUsd?: number;
  output?: string;
}

async function history(agent: AgentEnv, name: string): Promise<RunJson[]> {
  const out = await agent.run(['schedule', 'history', name, '--json']);
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as RunJson[];
}

/** Model calls whose last message (the run's task) says `text`; memory may recall it in others. */
const asked = (agent: AgentEnv, text: string) =>
  agent.mock.requests.filter((request) => {
    const messages = (request.body as { messages?: { content: unknown }[] }).messages ?? [];
    return JSON.stringify(messages.at(-1)?.content ?? '').includes(text);
  }).length;
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19) + 'Z';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.concurrent('scheduler end to end', () => {
  it('a 1-minute cron made by an agent over the gateway fires on real time and is announced', async (context) => {
    const { expect } = context;
    const env = await AgentEnv.startFor(
      context.onTestFinished,
      E2E_APIS[0]!,
      [
        { match: { lastToolResultContains: 'scheduled' }, reply: { text: 'Scheduled it.' } },
        {
          match: { lastMessageContains: 'remind me every minute' },
          reply: {
            toolCalls: [
              {
                name: 'schedule_create',
                arguments: { name: 'minutely', prompt: 'give the minute report', cron: '* * * * *' },
              },
            ],
          },
        },
        {
          match: { lastMessageContains: 'give the minute report' },
          reply: { text: 'Minute report: all good.', usage: COST },
          times: 'always',
        },
      ],
      SCHEDULER_ON,
    );
    const gateway = await startGateway(context, env);
    expect(gateway.logs().find((line) => line.msg.startsWith('listening on'))).toMatchObject({
      scheduler: 'on',
    });
    // The count in a line of its own, after the "listening" one (which nothing waits on).
    await pollUntil(
      () => gateway.logs().some((line) => line.msg === 'scheduler on: 0 active schedules'),
      'the scheduler line',
    );
    const { client, inbox, ack } = await helloClient(gateway.wsUrl, {}, generatedToken(env));
    client.send('send_turn', {
      session_id: ack.session.session_id,
      turn_id: 't1',
      prompt: 'please remind me every minute',
    });
    expect((await inbox.take('turn_completed', undefined, 30_000)).payload.response.message).toBe(
      'Scheduled it.',
    );
    const frame = await inbox.take('scheduled_notification', undefined, 80_000);
    expect(frame.payload).toMatchObject({
      schedule_name: 'minutely',
      message: 'Minute report: all good.',
      status: 'completed',
      alert: false,
    });
    expect(frame.payload.cost_usd).toBeGreaterThan(0);
    client.close();
    const [run] = await history(env, 'minutely');
    expect(run).toMatchObject({
      status: 'completed',
      trigger: 'schedule',
      output: 'Minute report: all good.',
    });
    expect(run!.costUsd).toBeCloseTo(frame.payload.cost_usd!, 10);
    expect(gateway.logs().some((line) => line.msg === 'scheduled run finished')).toBe(true);
  }, 120_000);

  it('two gateways on one workspace fire each due run once', async (context) => {
    const { expect } = context;
    const env = await AgentEnv.startFor(
      context.onTestFinished,
      E2E_APIS[0]!,
      [{ match: { lastMessageContains: 'once-task' }, reply: { text: 'did it' }, times: 'always' }],
      `${SCHEDULER_ON}max_concurrent = 4\n`,
    );
    await startGateway(context, env);
    await startGateway(context, env);
    // All three due at one time, far enough ahead that adding them (three CLI processes, started
    // together) finishes first even on a loaded machine: `schedule add` refuses a time in the past.
    const due = inSeconds(12);
    const adds = await Promise.all(
      [1, 2, 3].map((n) =>
        env.run(['schedule', 'add', '--at', due, '--name', `once-${n}`, `once-task ${n}`]),
      ),
    );
    for (const added of adds) expect(added.status, added.stderr).toBe(0);
    await pollUntil(() => asked(env, 'once-task') >= 3, 'three scheduled runs', { timeoutMs: 60_000 });
    // Both gateways polled through the due time and after: still one run each.
    await sleep(3000);
    expect(asked(env, 'once-task')).toBe(3);
    for (const n of [1, 2, 3])
      expect((await history(env, `once-${n}`)).map((r) => r.status)).toEqual(['completed']);
  }, 90_000);

  it('a scheduler killed mid-run and restarted loses and repeats nothing', async (context) => {
    const { expect } = context;
    const env = await AgentEnv.startFor(
      context.onTestFinished,
      E2E_APIS[0]!,
      [
        {
          match: { lastMessageContains: 'slow-task' },
          reply: { text: 'this answer takes a long time to arrive, word by word', textChunks: 30 },
          fault: { slowChunksMs: 1000 },
          times: 'always',
        },
        { match: { lastMessageContains: 'later-task' }, reply: { text: 'later done' }, times: 'always' },
      ],
      SCHEDULER_ON,
    );
    // Due times with room for the two CLI processes that add them (the other tests run beside
    // this one: `schedule add` refuses a time in the past), and for "slow" to start before
    // "later" falls due.
    const slow = await env.run(['schedule', 'add', '--at', inSeconds(6), '--name', 'slow', 'slow-task']);
    expect(slow.status, slow.stderr).toBe(0);
    const laterAt = inSeconds(16);
    const later = await env.run(['schedule', 'add', '--at', laterAt, '--name', 'later', 'later-task']);
    expect(later.status, later.stderr).toBe(0);
    const first = env.spawn(['scheduler', 'run']);
    let log = '';
    first.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
    });
    await pollUntil(() => asked(env, 'slow-task') === 1, 'the slow run to start', { timeoutMs: 40_000 });
    expect(log).toMatch(/started sch_\w+ "slow"/);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    // Down while "later" falls due, and long enough after that its run is a catch-up.
    await sleep(Math.max(0, Date.parse(laterAt) - Date.now()) + 3000);
    const second = env.spawn(['scheduler', 'run']);
    let log2 = '';
    second.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log2 += chunk;
    });
    await pollUntil(() => /completed sch_\w+ "later"/.test(log2), 'the missed run', { timeoutMs: 40_000 });
    second.kill('SIGINT');
    const code = await new Promise((resolve) => second.once('exit', resolve));
    expect(code).toBe(130); // Ctrl+C, after the clean stop
    expect(log2).toMatch(/catch-up/);
    expect((await history(env, 'slow')).map((r) => r.status)).toEqual(['interrupted']);
    expect((await history(env, 'later')).map((r) => [r.status, r.trigger])).toEqual([
      ['completed', 'catch_up'],
    ]);
    expect(asked(env, 'slow-task')).toBe(1);
    expect(asked(env, 'later-task')).toBe(1);
  }, 90_000);
});
