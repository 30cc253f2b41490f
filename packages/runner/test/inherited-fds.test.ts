/**
 * A descriptor the runner inherited open without close-on-exec (started from an IDE, a
 * terminal multiplexer, a wrapper's `9</home/me`) must not reach a guest: the process tier's
 * guest is a host process whose shell commands bubblewrap runs with what it was handed, and
 * the container tier's engine client could pass it on. Each case starts a fresh node process
 * holding such a descriptor, as the runner would, which launches a stand-in guest (a shell
 * that lists its own descriptors) through the real launchGuest.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { afterAll, describe, expect, it } from 'vitest';

const runnerDist = new URL('../dist/index.js', import.meta.url).pathname;

/** The number the node process gets it as: high, as inherited ones usually are. */
const INHERITED_AS = 40;

const rootFolder = tempWorkspace({ prefix: 'oxydra-runner-fds-' });
const root = rootFolder.dir;
afterAll(() => rootFolder.cleanup());

/** The stand-in guest's descriptor listing, from a runner that inherited `fd` as INHERITED_AS. */
function guestDescriptors(fd: number): string {
  const logs = path.join(root, 'logs');
  mkdirSync(logs, { recursive: true });
  // Only what launchGuest reads of a plan; the guest lists /proc/self/fd into its stderr log.
  const plan = {
    tier: 'process',
    projectDir: root,
    paths: { logs, gatewayEndpoint: path.join(root, 'gateway-endpoint') },
  };
  const script = `
    const { launchGuest } = await import(${JSON.stringify(runnerDist)});
    const guest = await launchGuest({
      plan: ${JSON.stringify(plan)},
      backend: { kind: 'process', shellSandbox: 'none' },
      envelope: { user_id: 'alice', sandbox_tier: 'process', workspace_root: ${JSON.stringify(root)} },
      selfCommand: ['/bin/sh', '-c', 'for f in /proc/self/fd/*; do echo "$f -> $(readlink "$f")"; done >&2', 'sh'],
      env: { PATH: process.env.PATH },
    });
    await guest.exited;
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(INHERITED_AS - 3).fill('ignore'), fd],
  });
  expect(result.stderr).toBe('');
  const listing = readFileSync(path.join(logs, 'runtime.stderr.log'), 'utf8');
  expect(listing).toContain('/proc/self/fd/0 -> ');
  return listing;
}

describe('descriptors the runner inherited', () => {
  it('never reach a process-tier guest', () => {
    const outsideFolder = tempWorkspace({ prefix: 'oxydra-runner-outside-' });
    const outside = outsideFolder.dir;
    const held = openSync(outside, 'r');
    try {
      // Before: "/proc/self/fd/40 -> /tmp/oxydra-runner-outside-…", the folder whole.
      expect(guestDescriptors(held)).not.toContain(outside);
    } finally {
      closeSync(held);
      outsideFolder.cleanup();
    }
  });
});
