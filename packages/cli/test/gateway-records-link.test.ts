/**
 * A gateway records itself in the workspace's `.oxydra/gateways/`, and `status` and `dashboard`
 * read that folder. A cloned repository can ship it as a link to a folder outside: through the
 * real binary, no gateway writes (or removes) a record there, and the link is named with its fix.
 */
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon } from './gateway-daemon.js';

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  await env?.close();
  env = undefined;
});

describe('a planted .oxydra/gateways link', () => {
  it('gets no record written through it: the gateway refuses to start, naming the link', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'done' }, times: 'always' }]);
    const outside = join(env.sandbox.root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(env.workspace, '.oxydra', 'gateways'));
    // Before: it started and wrote `<pid>.json` into the folder outside.
    const started = GatewayDaemon.start(env).then(
      (running) => {
        daemon = running;
        return 'listening';
      },
      (error: Error) => error.message,
    );
    const result = await started;
    expect(readdirSync(outside)).toEqual([]);
    expect(result).toMatch(/the gateway exited \(2\)/);
    expect(result).toMatch(/gateways is a symbolic link: a gateway records itself only in a real folder/);
    expect(result).not.toMatch(/\n\s+at /);
    const status = await env.run(['status']);
    expect(status.stderr).not.toMatch(/\n\s+at /);
  });
});
