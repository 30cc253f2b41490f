import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUSY_TIMEOUT_MS,
  MemoryValidationError,
  openDatabase,
  openMemory,
  PAGE_CACHE_KIB,
  serialClient,
} from '../src/index.js';
import { WAL_AUTOCHECKPOINT_PAGES } from '../src/store/libsql/db.js';
import { type TempDir, tempDir } from './store-helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const pragma = async (client: Awaited<ReturnType<typeof openDatabase>>, name: string) =>
  (await client.execute(`PRAGMA ${name}`)).rows[0]?.[0];

describe('openDatabase', () => {
  it('creates missing folders and an owner-only file, with WAL, busy_timeout, foreign keys and synchronous=NORMAL', async () => {
    const path = join(tmp.dir, 'a', 'b', 'memory.db');
    const client = await openDatabase({ path });
    try {
      expect(await pragma(client, 'journal_mode')).toBe('wal');
      expect(await pragma(client, 'busy_timeout')).toBe(BUSY_TIMEOUT_MS);
      expect(await pragma(client, 'foreign_keys')).toBe(1);
      expect(await pragma(client, 'synchronous')).toBe(1); // NORMAL
      expect(await pragma(client, 'cache_size')).toBe(-PAGE_CACHE_KIB);
      // Checkpointed a quarter as often as SQLite's default (db.ts: the periodic heavy COMMIT).
      expect(WAL_AUTOCHECKPOINT_PAGES).toBe(4000);
      expect(await pragma(client, 'wal_autocheckpoint')).toBe(WAL_AUTOCHECKPOINT_PAGES);
      await client.execute('CREATE TABLE t (x)');
      await client.execute('INSERT INTO t VALUES (1)');
      for (const file of ['memory.db', 'memory.db-wal', 'memory.db-shm']) {
        const full = join(tmp.dir, 'a', 'b', file);
        expect(existsSync(full), file).toBe(true);
        expect(statSync(full).mode & 0o777, file).toBe(0o600);
      }
    } finally {
      client.close();
    }
  });

  it('keeps the permissions of an existing file', async () => {
    const path = tmp.path('existing.db');
    writeFileSync(path, '', { mode: 0o640 });
    const client = await openDatabase({ path });
    client.close();
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('accepts a file: URL, including one with spaces', async () => {
    const path = join(tmp.dir, 'with space', 'm.db');
    const client = await openDatabase({ url: pathToFileURL(path).href });
    await client.execute('CREATE TABLE t (x)');
    client.close();
    expect(existsSync(path)).toBe(true);
  });

  it('rejects a path and a url together, neither, or an in-memory name', async () => {
    await expect(openDatabase({ path: tmp.path('a.db'), url: 'libsql://x.turso.io' })).rejects.toThrow(
      'give the memory database a path or a url, not both',
    );
    await expect(openDatabase({})).rejects.toBeInstanceOf(MemoryValidationError);
    await expect(openDatabase({ path: ':memory:' })).rejects.toThrow('must name a file');
  });

  it('runs concurrent transactions of one process one after the other instead of stalling on its own lock', async () => {
    const client = await openDatabase({ path: tmp.path('c.db') });
    try {
      await client.execute('CREATE TABLE t (worker INTEGER, n INTEGER)');
      const writer = async (worker: number) => {
        const tx = await client.transaction('write');
        try {
          for (let n = 0; n < 5; n++)
            await tx.execute({ sql: 'INSERT INTO t VALUES (?, ?)', args: [worker, n] });
          await tx.commit();
        } finally {
          tx.close();
        }
      };
      // A pooled client fails one of these with SQLITE_BUSY after the busy timeout.
      await Promise.all([writer(1), writer(2), client.execute('INSERT INTO t VALUES (3, 0)'), writer(4)]);
      const rows = (await client.execute('SELECT worker, n FROM t ORDER BY rowid')).rows.map(
        (r) => `${r[0]}:${r[1]}`,
      );
      expect(rows).toHaveLength(16);
      // Each transaction's rows are together: no interleaving inside a transaction.
      const workers = rows.map((r) => r.split(':')[0]);
      expect(workers.filter((w, i) => i === 0 || w !== workers[i - 1])).toEqual(['1', '2', '3', '4']);
    } finally {
      client.close();
    }
  });

  it('fails a client call made inside an open transaction after the wait limit instead of hanging', async () => {
    const raw = createClient({ url: pathToFileURL(tmp.path('d.db')).href, concurrency: 1 });
    const client = serialClient(raw, 50);
    try {
      const tx = await client.transaction('write');
      await expect(client.execute('SELECT 1')).rejects.toThrow('run statements on the transaction object');
      await tx.execute('CREATE TABLE t (x)');
      await tx.commit();
      // The queue moves on: the abandoned call does not block later ones.
      expect((await client.execute('SELECT COUNT(*) FROM t')).rows[0]?.[0]).toBe(0);
    } finally {
      client.close();
    }
  });

  it('releases the turn when a transaction is rolled back or closed', async () => {
    const client = await openDatabase({ path: tmp.path('e.db') });
    try {
      await client.execute('CREATE TABLE t (x)');
      const a = await client.transaction('write');
      await a.execute('INSERT INTO t VALUES (1)');
      await a.rollback();
      const b = await client.transaction('write');
      await b.execute('INSERT INTO t VALUES (2)');
      b.close();
      expect((await client.execute('SELECT COUNT(*) FROM t')).rows[0]?.[0]).toBe(0);
    } finally {
      client.close();
    }
  });
});

describe('MemoryDatabase.counts', () => {
  it('counts the sessions and notes the file holds (what `oxydra doctor` reports)', async () => {
    const memory = await openMemory({ path: tmp.path('counted.db') });
    try {
      expect(await memory.counts()).toEqual({ sessions: 0, notes: 0 });
      await memory.sessions.create({ id: 'a' });
      await memory.sessions.create({ id: 'b' });
      await memory.notes.save({ content: 'one note' });
      expect(await memory.counts()).toEqual({ sessions: 2, notes: 1 });
      await memory.sessions.delete('a');
      expect(await memory.counts()).toEqual({ sessions: 1, notes: 1 });
    } finally {
      await memory.close();
    }
  });
});
