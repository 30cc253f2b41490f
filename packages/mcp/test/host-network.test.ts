/**
 * A sandboxed stdio server on the host's network (`network = "on"`) shares its abstract Unix
 * sockets too (an X server, a D-Bus bus): the server starts under landlock's abstract-socket
 * scope, as shell_exec commands do (the scope itself: packages/sandbox/test/abstract-sockets.test.ts).
 */

import { abstractSocketScopeSupported } from '@oxydra/sandbox';
import { mcpSchema } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { planStdio } from '../src/stdio-launch.js';
import { SANDBOX_DEFAULTS, sandboxProblem, workspace } from './helpers.js';

const problem = sandboxProblem();

async function serverArgs(network: 'on' | 'off'): Promise<string[]> {
  const server = mcpSchema().parse({ servers: { s: { command: 'node', args: ['server.js'] } } }).servers.s!;
  const launch = planStdio(server, {
    workspace: workspace(),
    sandbox: { ...SANDBOX_DEFAULTS, network },
    env: {},
  });
  try {
    return (await launch.params()).args ?? [];
  } finally {
    await launch.close();
  }
}

describe.skipIf(problem !== undefined || !abstractSocketScopeSupported())(
  'a sandboxed stdio server on the host network',
  () => {
    it('starts inside the abstract-socket scope; with no network it needs none', async () => {
      const on = await serverArgs('on');
      const perl = on.indexOf('/usr/bin/perl');
      expect(perl).toBeGreaterThan(on.indexOf('--'));
      expect(perl).toBeLessThan(on.lastIndexOf('node'));
      expect(await serverArgs('off')).not.toContain('/usr/bin/perl');
    });
  },
);
