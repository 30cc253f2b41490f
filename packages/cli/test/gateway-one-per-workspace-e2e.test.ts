/**
 * Issue 31, item 6: a second gateway on a workspace another gateway serves refuses to start,
 * naming the first (pid and address), instead of serving the same sessions and schedules on a
 * second port. A gateway killed outright leaves a stale record the next one takes over; one
 * stopped normally leaves none.
 */
import { existsSync, readFileSync } from 'node:fs';
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

describe('one gateway per workspace', () => {
  it('refuses a second gateway by name, takes over after a kill, and cleans up after a stop', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hi' }, times: 'always' }]);
    const record = join(env.workspace, '.oxydra', 'gateway.json');
    const first = await GatewayDaemon.start(env);
    daemons.push(first);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({
      pid: first.child.pid,
      url: first.url,
    });

    const second = await env.run(['gateway', '--bind', '127.0.0.1:0']);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(
      `error: another oxydra gateway (pid ${first.child.pid}, ${first.url}) already serves this workspace`,
    );
    expect(second.stderr).toContain(`hint: stop it first (kill ${first.child.pid})`);
    expect(second.stderr).not.toMatch(/\n\s+at /);

    // Killed outright: its record stays, and the next gateway takes it over.
    first.kill('SIGKILL');
    await first.exited;
    expect(existsSync(record)).toBe(true);
    const third = await GatewayDaemon.start(env);
    daemons.push(third);
    expect(JSON.parse(readFileSync(record, 'utf8')).pid).toBe(third.child.pid);

    // Stopped normally: no record left.
    third.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(existsSync(record)).toBe(false);
  });
});
