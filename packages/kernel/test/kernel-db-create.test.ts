/**
 * A new kernel.db is switched to WAL without SQLite's fsyncs (synchronous=OFF for that one
 * rollback-journal write of its empty first page, kernel-db.ts's connectLocalDb); the connection
 * must still end at NORMAL, as one opening an existing file does, or every later commit and
 * checkpoint of the audit chain would go unsynced.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { describe, expect, it, vi } from 'vitest';
import { KERNEL_SCHEMA_VERSION, type KernelDb } from '../src/store/kernel-db.js';
import { claimWorkspaceState } from '../src/store/state-origin.js';
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

  /**
   * Its claim makes it under a private name holding its origin id (state-origin.ts), then its
   * opener switches it to WAL and migrates it: both before anything is in it, so neither waits on
   * SQLite's syncs (9 fsyncs of a fresh gateway's start before the claim's file was opened as new;
   * one is left, the origin record's). Every SQLite connection that writes the new file before it
   * is migrated is at synchronous=OFF by its first write, and the steps are one transaction.
   */
  it('is written without syncs until migrated, by its claim and by its opener', async () => {
    const folder = scratch.folder();
    const said = new Map<object, string[]>();
    const record = (db: object, sql: string) => {
      if (!said.has(db)) said.set(db, []);
      said.get(db)!.push(sql.replace(/\s+/g, ' ').trim());
    };
    const proto = Database.prototype as unknown as Record<
      'exec' | 'pragma' | 'prepare',
      (sql: string) => unknown
    >;
    const spies = (['exec', 'prepare'] as const).map((name) => {
      const original = proto[name]!;
      return vi.spyOn(proto, name).mockImplementation(function (this: object, sql: string) {
        record(this, sql);
        return original.call(this, sql);
      });
    });
    const originalPragma = proto.pragma!;
    spies.push(
      vi.spyOn(proto, 'pragma').mockImplementation(function (this: object, sql: string) {
        record(this, `PRAGMA ${sql}`);
        return originalPragma.call(this, sql);
      }),
    );
    try {
      (await scratch.open(folder)).close();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const writers = [...said.values()].filter((calls) =>
      calls.some((sql) => /^BEGIN|journal_mode=WAL/i.test(sql)),
    );
    // The claim's connection (its id) and the opener's (WAL, migrations).
    expect(writers.length).toBe(2);
    for (const calls of writers) {
      const firstWrite = calls.findIndex((sql) => /^BEGIN|journal_mode=WAL/i.test(sql));
      const levels = calls.slice(0, firstWrite).filter((sql) => /^PRAGMA synchronous=/i.test(sql));
      expect(levels.at(-1)).toBe('PRAGMA synchronous=OFF');
      // One transaction each: the claim's id, the opener's migrations (all steps, one commit).
      expect(calls.filter((sql) => /^BEGIN/i.test(sql)).length).toBe(1);
    }
    const reopened = await scratch.open(folder);
    expect(pragma(reopened, 'synchronous')).toBe(NORMAL);
    expect(pragma(reopened, 'user_version')).toBe(KERNEL_SCHEMA_VERSION);
  });
});

/**
 * A power cut in a new file's first milliseconds, on a file system that writes a file's size before
 * its data, leaves its first page as zeros: SQLite's "not a database". With nothing in its WAL
 * such a file holds nothing (kernel-db.ts's emptyUnwrittenFile) and is made again. Since the origin
 * id is kept inside the database (state-origin.ts), a file with this user's record that SQLite
 * cannot read holds no id, so it is set aside (renamed with its WAL, never deleted: nothing in it is
 * lost) and a fresh one starts, rather than refused: a database it cannot read is one it cannot
 * tell apart from one put there by someone else.
 */
describe('a kernel database a power cut left unwritten', () => {
  /**
   * A kernel.db of `bytes` (and a WAL of `wal`) with this user's origin record, as its opener
   * leaves them (claimWorkspaceState records the origin before the file is made). Not made by
   * opening it here: a closed connection whose statements are not yet finalized keeps its file
   * open in this process, and SQLite would share its locks with the next one.
   */
  function leftAs(bytes: Buffer, wal?: Buffer): { folder: string; path: string } {
    const folder = scratch.folder();
    const path = join(folder, '.oxydra', 'kernel.db');
    claimWorkspaceState(path);
    writeFileSync(path, bytes, { mode: 0o600 });
    if (wal) writeFileSync(`${path}-wal`, wal, { mode: 0o600 });
    return { folder, path };
  }

  it('is made again when its one page holds only zeros', async () => {
    const { folder } = leftAs(Buffer.alloc(4096));
    const db = await scratch.open(folder);
    expect(pragma(db, 'user_version')).toBe(KERNEL_SCHEMA_VERSION);
    expect(pragma(db, 'journal_mode')).toBe('wal');
    expect(pragma(db, 'synchronous')).toBe(NORMAL);
  });

  it('is made again beside a WAL none of whose frames committed', async () => {
    const { folder } = leftAs(Buffer.alloc(4096), Buffer.alloc(8192, 0x5a));
    const db = await scratch.open(folder);
    expect(pragma(db, 'user_version')).toBe(KERNEL_SCHEMA_VERSION);
  });

  /** The file set aside as `kernel.db.untrusted-…` (with `suffix`), read back. */
  const asideBytes = (path: string, suffix = '') => {
    const names = readdirSync(join(path, '..')).filter((name) => /^kernel\.db(-wal)?\.untrusted-/.test(name));
    const name = names.find((found) => found.startsWith(`kernel.db${suffix}.untrusted-`));
    expect(name, names.join(' ')).toBeDefined();
    return readFileSync(join(path, '..', name!));
  };

  it('is set aside with its WAL, not opened, beside a WAL that may hold its first page', async () => {
    const wal = Buffer.alloc(8192);
    wal.writeUInt32BE(0x377f0682, 0);
    const { folder, path } = leftAs(Buffer.alloc(4096), wal);
    expect(pragma(await scratch.open(folder), 'user_version')).toBe(KERNEL_SCHEMA_VERSION);
    expect(asideBytes(path).length).toBe(4096);
    expect(asideBytes(path, '-wal').equals(wal)).toBe(true);
  });

  it('is set aside as it is when it holds anything but zeros', async () => {
    const garbage = Buffer.alloc(4096, 0);
    garbage.write('not zeros', 200);
    const { folder, path } = leftAs(garbage);
    expect(pragma(await scratch.open(folder), 'user_version')).toBe(KERNEL_SCHEMA_VERSION);
    expect(asideBytes(path).equals(garbage)).toBe(true);
  });

  it('is set aside as it is when it is longer than one page', async () => {
    const { folder, path } = leftAs(Buffer.alloc(8192));
    expect(pragma(await scratch.open(folder), 'user_version')).toBe(KERNEL_SCHEMA_VERSION);
    expect(asideBytes(path).length).toBe(8192);
  });
});
