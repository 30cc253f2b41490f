/**
 * Issue 31, item 6: a second gateway on a workspace another gateway serves says so at start,
 * naming the first (pid and address) and what the two do not share, instead of starting
 * without a word. (Several are allowed: scheduler-e2e shows each due run still fires once.) A
 * gateway killed outright leaves a stale record, which the next one removes without naming it;
 * one stopped normally removes its own. `oxydra status` lists the running ones and their /readyz.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon } from './gateway-daemon.js';

let env: AgentEnv | undefined;
const daemons: GatewayDaemon[] = [];
afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    daemon.kill('SIGKILL');
    await daemon.exited;
  }
  await env?.close();
  env = undefined;
});

const warnings = (daemon: GatewayDaemon) =>
  daemon
    .logs()
    .filter((line) => line.level === 'warn')
    .map((line) => line.msg);

describe('several gateways on one workspace', () => {
  it('the second names the first; a killed one is forgotten; a stopped one removes its record', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);
    const records = join(env.workspace, '.oxydra', 'gateways');
    const none = await env.run(['status']);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe(`no gateway is running for ${env.workspace} (start one: oxydra gateway)\n`);
    const first = await GatewayDaemon.start(env);
    daemons.push(first);
    expect(warnings(first).filter((msg) => msg.includes('gateway'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(records, `${first.child.pid}.json`), 'utf8'))).toMatchObject({
      pid: first.child.pid,
      url: first.url,
    });

    const second = await GatewayDaemon.start(env);
    daemons.push(second);
    expect(warnings(second)).toContain(
      `another oxydra gateway serves this workspace too (pid ${first.child.pid} at ${first.url}): each due schedule still runs once, but live sessions, pending approvals and per-user turn limits are each gateway's own`,
    );

    // `oxydra status` lists both, each asked its /readyz.
    const status = await env.run(['status']);
    expect(status.status).toBe(0);
    expect(status.stdout.split('\n').filter(Boolean)).toEqual(
      [first, second]
        .sort((a, b) => a.child.pid! - b.child.pid!)
        .map((daemon) => `gateway pid ${daemon.child.pid}  ${daemon.url}  ready, commands sandboxed`),
    );
    const json = JSON.parse(env.sandbox.run('status', '--json').stdout) as { gateways: { ready: boolean }[] };
    expect(json.gateways.map((gateway) => gateway.ready)).toEqual([true, true]);

    // Killed outright: its record stays until the next gateway starts, which does not name it.
    first.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(records, `${first.child.pid}.json`))).toBe(true);
    const third = await GatewayDaemon.start(env);
    daemons.push(third);
    const named = warnings(third).filter((msg) => msg.includes('serves this workspace too'));
    expect(named).toEqual([expect.stringContaining(`(pid ${second.child.pid} at ${second.url})`)]);
    expect(readdirSync(records).sort()).toEqual(
      [`${second.child.pid}.json`, `${third.child.pid}.json`].sort(),
    );

    // Stopped normally: its record goes with it.
    third.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(readdirSync(records)).toEqual([`${second.child.pid}.json`]);
  });
});
