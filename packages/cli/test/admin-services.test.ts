/**
 * An admin command opens only what the services it uses need (openServices): `oxydra token list`
 * reads the kernel database and leaves the sessions database alone, so a memory.db it has no use
 * for is neither opened, nor claimed, nor set aside as foreign.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CliSandbox } from './helpers.js';

let sandbox: CliSandbox;
afterEach(() => sandbox?.cleanup());

it('`oxydra token list` does not touch memory.db', () => {
  sandbox = new CliSandbox();
  // Not a database, and not recorded as this user's: opening it would set it aside (or fail).
  const memory = sandbox.write('.oxydra/memory.db', 'bytes from elsewhere\n');
  const listed = sandbox.run('token', 'list');
  expect(listed).toMatchObject({ status: 0, stderr: '' });
  expect(listed.stdout).toMatch(/^no tokens/);
  expect(readFileSync(memory, 'utf8')).toBe('bytes from elsewhere\n');
  expect(
    readdirSync(join(sandbox.workspace, '.oxydra')).filter((name) => name.startsWith('memory.db')),
  ).toEqual(['memory.db']);
});
