/**
 * Descriptors Oxydra inherited from whatever started it (an IDE, a terminal multiplexer, a
 * wrapper script's `9</home/me`) are open without close-on-exec, and a spawned program gets
 * every one of them: bubblewrap passed them on into the sandbox, where `/proc/self/fd/<n>` led
 * straight back out of it (a directory descriptor read the host folder whole, ~/.ssh included).
 * Each case starts a fresh node process holding such a descriptor, as Oxydra would.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, HAS_BWRAP } from './helpers.js';

const dist = new URL('../dist/index.js', import.meta.url).pathname;

/**
 * The number the node process gets it as: high, as inherited ones usually are (node itself
 * marks some low descriptors close-on-exec at start-up, not these).
 */
const INHERITED_AS = 40;

/** Runs `command` in the sandbox from a node process that inherited `fd` (as INHERITED_AS). */
function runHolding(fd: number, workspace: string, home: string, command: string): string {
  const script = `
    const sandbox = await import(${JSON.stringify(dist)});
    const policy = { readableRoots: [], writableRoots: [], deniedPaths: [], network: 'off', envAllowlist: ['PATH'] };
    const run = sandbox.createBubblewrapRunner(policy, { workspace: ${JSON.stringify(workspace)}, home: ${JSON.stringify(home)} });
    const result = await run(${JSON.stringify(command)}, { cwd: ${JSON.stringify(workspace)}, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 20000 });
    process.stdout.write(result.output);
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(INHERITED_AS - 3).fill('ignore'), fd],
  });
  expect(result.stderr).toBe('');
  return result.stdout;
}

describe.skipIf(!HAS_BWRAP)('descriptors the host process inherited', () => {
  it('never reach a sandboxed command', () => {
    const f = fixture();
    const outside = openSync(f.home, 'r'); // holds notes.txt and .ssh/
    try {
      const output = runHolding(
        outside,
        f.workspace,
        f.home,
        `cd /proc/self/fd/${INHERITED_AS} && cat notes.txt .ssh/id_ed25519; pwd; echo end`,
      );
      expect(output).toContain('end');
      expect(output).not.toContain('HOME-SECRET');
      expect(output).not.toContain('SSH-SECRET');
      expect(output).not.toContain(f.home);
    } finally {
      closeSync(outside);
      f.cleanup();
    }
  });
});
