/**
 * The run's shared code cache (warm-caches.ts): a fresh HOME of one test is served the code a
 * HOME of another test compiled, and `warm: false` still gives a HOME with nothing in it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers.js';

const DEBUG = { NODE_DEBUG: 'oxydra_code_cache' };
const sandboxes: CliSandbox[] = [];
afterEach(() => {
  for (const sandbox of sandboxes.splice(0)) sandbox.cleanup();
});

function sandbox(options?: { warm?: boolean }): CliSandbox {
  const made = new CliSandbox(DEBUG, options);
  sandboxes.push(made);
  return made;
}

describe("the run's shared code cache", () => {
  it("serves one test's HOME the code another test's HOME compiled", () => {
    // The first may or may not find the cache warm (other files ran before it); after it, it is.
    const first = sandbox().run('--help');
    expect(first.status, first.stderr).toBe(0);
    const second = sandbox().run('--help');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/rejected|damaged|no cache|wrote/);
    expect(second.stdout).toBe(first.stdout);
  });

  it('leaves a `warm: false` HOME without a local key or a cache, until its first command', () => {
    const cold = sandbox({ warm: false });
    expect(existsSync(join(cold.home, '.config', 'oxydra', 'local.key'))).toBe(false);
    expect(existsSync(join(cold.home, '.cache'))).toBe(false);
    const run = cold.run('--help');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/no cache: no local key/);
  });
});
