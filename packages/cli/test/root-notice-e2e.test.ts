/**
 * Issue 31, item 6: the warning that Oxydra runs as root in a root-owned workspace (commands run
 * as "nobody" and cannot change it) is said on the first run in that workspace, not on every
 * one; `oxydra doctor` says it every time; a changed condition is said again.
 */
import { chownSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { IS_ROOT } from './helpers.js';

const NOTICE = /uid 65534 cannot write the workspace \(owned by uid 0\)/;

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

// The condition only exists as root (CI runs as root; containers do): as another user
// commands run as that user, and there is nothing to say.
describe.skipIf(!IS_ROOT)('the root-owned workspace warning', () => {
  it('is said once per workspace, and by doctor every time', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'done' }, times: 'always' }]);
    chownSync(env.workspace, 0, 0);
    const first = await env.run(['run', 'hello']);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(NOTICE);
    const second = await env.run(['run', 'hello again']);
    expect(second.status).toBe(0);
    expect(second.stderr).not.toMatch(NOTICE);
    expect(second.stdout).toContain('done');
    for (let i = 0; i < 2; i++) expect((await env.run(['doctor'])).stdout).toMatch(NOTICE);
    // Another condition (commands as a chosen uid that cannot write it either) is new: said once.
    const other = await env.run(['run', '--set', 'tools.sandbox.run_as=12345', 'hi']);
    expect(other.stderr).toMatch(/uid 12345 cannot write the workspace/);
    expect((await env.run(['run', '--set', 'tools.sandbox.run_as=12345', 'hi'])).stderr).not.toMatch(
      /cannot write the workspace/,
    );
  });
});
