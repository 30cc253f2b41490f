/**
 * bin/oxydra.js is CommonJS (bin/package.json), so Node runs it without setting up its ES module
 * loader, whose modules it compiled from source at every start under the gateway's V8 flags.
 * The commands that run from the CommonJS bundle (every one but the terminal UI's) then evaluate
 * no ES module at all.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { OXYDRA_BIN } from './helpers.js';

const recorder = fileURLToPath(new URL('./fixtures/record-entry.cjs', import.meta.url));

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** What the recorder saw of `node bin/oxydra.js ...args`. */
function entryOf(args: string[]): { main: string | null; importMeta: boolean } {
  dir = mkdtempSync(join(tmpdir(), 'oxydra-launcher-'));
  const file = join(dir, 'entry.json');
  execFileSync(process.execPath, [`--require=${recorder}`, OXYDRA_BIN, ...args], {
    env: { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), OXYDRA_TEST_ENTRY_FILE: file },
    stdio: 'ignore',
  });
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('the oxydra launcher', () => {
  it('runs as a CommonJS module', () => {
    expect(entryOf(['--version']).main).toBe(OXYDRA_BIN);
  });

  it('runs a command from the CommonJS bundle without evaluating an ES module', () => {
    expect(entryOf(['--help'])).toEqual({ main: OXYDRA_BIN, importMeta: false });
  });
});
