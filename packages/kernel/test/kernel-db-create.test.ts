/**
 * A new kernel.db is switched to WAL without SQLite's fsyncs (synchronous=OFF for that one
 * rollback-journal write of its empty first page, kernel-db.ts's connectLocalDb); the connection
 * must still end at NORMAL, as one opening an existing file does, or every later commit and
 * checkpoint of the audit chain would go unsynced.
 */
import { describe, expect, it } from 'vitest';
import type { KernelDb } from '../src/store/kernel-db.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-kernel-db-create-');
// libsql's pragma() has no `simple` mode: the first value of the row.
const pragma = (db: KernelDb, name: string) => (db.prepare(`PRAGMA ${name}`).raw(true).get() as unknown[])[0];
/** SQLite's synchronous levels: 0 OFF, 1 NORMAL, 2 FULL. */
const NORMAL = 1;

describe('a new kernel database', () => {
  it('is in WAL mode at synchronous=NORMAL once open, as an existing one is', async () => {
    const folder = scratch.folder();
    const created = await scratch.open(folder);
    expect(pragma(created, 'journal_mode')).toBe('wal');
    expect(pragma(created, 'synchronous')).toBe(NORMAL);
    created.close();
    const reopened = await scratch.open(folder);
    expect(pragma(reopened, 'journal_mode')).toBe('wal');
    expect(pragma(reopened, 'synchronous')).toBe(NORMAL);
  });
});
