/**
 * A memory.db the kernel's claim has just made (claimWorkspaceState: new, holding only its origin
 * id) is switched to WAL and migrated at synchronous=OFF, then put at NORMAL before anything else
 * is written, as a new kernel.db is (docs/kernel.md "Round gwstart"). Before, it was opened at
 * NORMAL throughout: five fsyncs of a first `oxydra run` in a new folder went to a file with
 * nothing to lose. A file the claim did not make is opened at NORMAL, as before.
 */
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deferredMemory } from '../src/index.js';

/** SQLite's synchronous levels: 0 OFF, 1 NORMAL, 2 FULL. */
const NORMAL = 1;
let ws: TempWorkspace | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  ws?.cleanup();
  ws = undefined;
});

/** The `synchronous` levels the connections were set to, in order, as the memory opener sets them. */
function recordLevels(): string[] {
  const levels: string[] = [];
  const proto = Database.prototype as unknown as { exec(sql: string): unknown };
  const exec = proto.exec;
  vi.spyOn(proto, 'exec').mockImplementation(function (this: object, sql: string) {
    if (/^PRAGMA synchronous/i.test(sql)) levels.push(sql);
    return exec.call(this, sql);
  });
  return levels;
}

describe.each([true, false])('a memory database whose claim made it: %s', (made) => {
  it(`is migrated at ${made ? 'OFF' : 'NORMAL'}, then at NORMAL for everything after`, async () => {
    ws = tempWorkspace({ prefix: 'oxydra-memory-made-' });
    const levels = recordLevels();
    const memory = deferredMemory({ path: ws.path('memory.db'), beforeCreate: () => made });
    const level = await memory.client.execute('PRAGMA synchronous');
    expect(levels).toEqual([`PRAGMA synchronous=${made ? 'OFF' : 'NORMAL'}`]);
    expect(Number(level.rows[0]?.[0])).toBe(NORMAL);
    await memory.close();
  });
});
