/**
 * What a stdio server learns of the user from its environment. Sandboxed, it gets PATH, the
 * locale and TERM of Oxydra's, its own `env`, and the sandbox's private HOME (as shell_exec
 * commands do): not the user's HOME, USER, LOGNAME or SHELL, which the MCP SDK's transport put
 * under every server's environment. Unsandboxed, it runs as the user and keeps all of them.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  FIXTURES,
  NODE_MODULES,
  removeWorkspaces,
  said,
  sandboxProblem,
  sources,
  TRIVIAL_SERVER,
} from './helpers.js';

const problem = sandboxProblem();
afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(removeWorkspaces);

/** The user Oxydra runs as, as its environment says (the SDK's defaults read this process's). */
const HOST = {
  HOME: '/home/host-user-7f3a',
  USER: 'host-user-7f3a',
  LOGNAME: 'host-user-7f3a',
  SHELL: '/bin/host-shell-7f3a',
};

beforeEach(() => {
  for (const [name, value] of Object.entries(HOST)) vi.stubEnv(name, value);
});

async function serverEnv(server: Record<string, unknown>): Promise<Record<string, string>> {
  const [source] = sources(
    { trivial: { command: 'node', args: [TRIVIAL_SERVER], read_paths: [NODE_MODULES, FIXTURES], ...server } },
    // What the kernel passes: Oxydra's environment.
    { env: { PATH: process.env.PATH, TERM: 'xterm-7f3a', ...HOST } },
  );
  onTestFinished(() => source!.close());
  await source!.start();
  return JSON.parse(await said(source!, 'trivial__env', {})) as Record<string, string>;
}

describe.skipIf(problem !== undefined)(
  `a sandboxed stdio server's environment${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    it("has the sandbox's own HOME and none of the user's USER, LOGNAME or SHELL", async () => {
      const env = await serverEnv({});
      // Before: USER, LOGNAME and SHELL were the host's (the SDK's defaults under the server's).
      expect(env).toMatchObject({ HOME: '/tmp/home', TMPDIR: '/tmp', TERM: 'xterm-7f3a' });
      expect(env.PATH).toBe(process.env.PATH);
      for (const name of ['USER', 'LOGNAME', 'SHELL']) expect(env).not.toHaveProperty(name);
      // Nowhere else either (every host value above holds "host-").
      expect(JSON.stringify(env)).not.toContain('host-');
    });

    it('gets them when its own env gives them; HOME stays the sandbox one, as for commands', async () => {
      const env = await serverEnv({
        env: { USER: 'server-user', LOGNAME: 'server-user', SHELL: '/bin/sh', HOME: '/elsewhere' },
      });
      expect(env).toMatchObject({
        USER: 'server-user',
        LOGNAME: 'server-user',
        SHELL: '/bin/sh',
        HOME: '/tmp/home',
      });
    });
  },
);

describe('an unsandboxed stdio server', () => {
  it("keeps the user's HOME, USER, LOGNAME and SHELL (it runs as the user)", async () => {
    const env = await serverEnv({ sandbox: false });
    expect(env).toMatchObject(HOST);
  });
});
