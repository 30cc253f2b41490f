import { LibsqlBatchError, LibsqlError } from '@libsql/client';
import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, serialClient } from '../src/index.js';
import { localClient } from '../src/store/local/local-client.js';
import { type TempDir, tempDir } from './store-helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** A real connection whose prepare calls are recorded, to see what the cache saves. */
function recordingConnect(path: string, prepared: string[]) {
  return () => {
    const db = new Database(path);
    db.exec('PRAGMA foreign_keys=ON');
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    return db;
  };
}

describe('the local client’s statement cache', () => {
  it('prepares a statement once however often it runs, and stays within its bound', async () => {
    const prepared: string[] = [];
    const client = localClient(recordingConnect(tmp.path('cache.db'), prepared), 3);
    try {
      await client.execute('CREATE TABLE t (x INTEGER)');
      for (let i = 0; i < 5; i++) await client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [i] });
      expect(prepared.filter((sql) => sql === 'INSERT INTO t VALUES (?)')).toHaveLength(1);
      for (let i = 0; i < 10; i++) await client.execute(`SELECT x + ${i} AS y FROM t WHERE x = 0`);
      expect(client.cachedStatements).toBe(3);
      // The least recently used went first; running it again prepares it again and still works.
      const again = await client.execute('SELECT x + 0 AS y FROM t WHERE x = 0');
      expect(again.rows[0]?.y).toBe(0);
      expect(prepared.filter((sql) => sql === 'SELECT x + 0 AS y FROM t WHERE x = 0')).toHaveLength(2);
      expect(client.cachedStatements).toBe(3);
    } finally {
      client.close();
    }
  });

  it('runs a cached statement correctly after the schema changed under it', async () => {
    const client = await openDatabase({ path: tmp.path('schema.db') });
    try {
      await client.execute('CREATE TABLE t (a TEXT)');
      await client.execute("INSERT INTO t VALUES ('one')");
      expect((await client.execute('SELECT * FROM t')).columns).toEqual(['a']);
      await client.execute("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'two'");
      const widened = await client.execute('SELECT * FROM t');
      expect(widened.columns).toEqual(['a', 'b']);
      expect({ ...widened.rows[0] }).toEqual({ a: 'one', b: 'two' });
      // A table dropped and made again with other columns: the old statement follows it.
      await client.execute('DROP TABLE t');
      await client.execute('CREATE TABLE t (c INTEGER)');
      await client.execute('INSERT INTO t VALUES (3)');
      expect({ ...(await client.execute('SELECT * FROM t')).rows[0] }).toEqual({ c: 3 });
    } finally {
      client.close();
    }
  });

  it('reads a statement’s columns once, and after every run of a `*` statement', async () => {
    const columnReads: string[] = [];
    const client = localClient(() => {
      const db = new Database(tmp.path('columns.db'));
      const prepare = db.prepare.bind(db);
      db.prepare = ((sql: string) => {
        const statement = prepare(sql);
        const columns = statement.columns.bind(statement);
        statement.columns = (() => {
          columnReads.push(sql);
          return columns();
        }) as typeof statement.columns;
        return statement;
      }) as typeof db.prepare;
      return db;
    });
    try {
      await client.execute('CREATE TABLE t (a TEXT, b INTEGER)');
      await client.execute("INSERT INTO t VALUES ('one', 1)");
      const named = 'SELECT a, b AS n FROM t WHERE b = ?';
      for (let i = 0; i < 3; i++) {
        const result = await client.execute({ sql: named, args: [i === 1 ? 2 : 1] });
        expect(result.columns).toEqual(['a', 'n']);
        expect(result.rows.map((row) => ({ ...row }))).toEqual(i === 1 ? [] : [{ a: 'one', n: 1 }]);
      }
      expect(columnReads.filter((sql) => sql === named)).toHaveLength(1);
      // Same width, new name: only a `*` statement can see that, and it reads its columns again.
      expect((await client.execute('SELECT * FROM t')).columns).toEqual(['a', 'b']);
      await client.execute('ALTER TABLE t RENAME COLUMN b TO c');
      const renamed = await client.execute('SELECT * FROM t');
      expect(renamed.columns).toEqual(['a', 'c']);
      expect({ ...renamed.rows[0] }).toEqual({ a: 'one', c: 1 });
    } finally {
      client.close();
    }
  });

  it('runs a transaction’s statements on its connection: invisible to others until commit', async () => {
    const path = tmp.path('tx.db');
    const client = await openDatabase({ path });
    const other = new Database(path);
    try {
      await client.execute('CREATE TABLE t (x INTEGER)');
      const countElsewhere = () => (other.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
      const tx = await client.transaction('write');
      try {
        await tx.execute({ sql: 'INSERT INTO t VALUES (?)', args: [1] });
        expect((await tx.execute('SELECT COUNT(*) AS n FROM t')).rows[0]?.n).toBe(1);
        expect(countElsewhere()).toBe(0);
        // The client waits for the transaction (serialClient's turn), then sees the commit.
        const waiting = client.execute('SELECT COUNT(*) AS n FROM t');
        await tx.commit();
        expect((await waiting).rows[0]?.n).toBe(1);
      } finally {
        tx.close();
      }
      expect(countElsewhere()).toBe(1);
      const rolledBack = await client.transaction('write');
      await rolledBack.execute({ sql: 'INSERT INTO t VALUES (?)', args: [2] });
      await rolledBack.rollback();
      expect(rolledBack.closed).toBe(true);
      await expect(rolledBack.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
      expect(countElsewhere()).toBe(1);
    } finally {
      other.close();
      client.close();
    }
  });

  it('reports failures as @libsql/client does and rolls back a failed batch whole', async () => {
    const client = await openDatabase({ path: tmp.path('errors.db') });
    try {
      await client.execute('CREATE TABLE t (x INTEGER PRIMARY KEY)');
      await client.execute('INSERT INTO t VALUES (1)');
      const duplicate = await client.execute('INSERT INTO t VALUES (1)').catch((error: unknown) => error);
      expect(duplicate).toBeInstanceOf(LibsqlError);
      expect(duplicate).toMatchObject({
        code: 'SQLITE_CONSTRAINT',
        extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      });
      const batch = await client
        .batch(['INSERT INTO t VALUES (2)', 'INSERT INTO t VALUES (1)'], 'write')
        .catch((error: unknown) => error);
      expect(batch).toBeInstanceOf(LibsqlBatchError);
      expect(batch).toMatchObject({ statementIndex: 1, code: 'SQLITE_CONSTRAINT' });
      expect((await client.execute('SELECT COUNT(*) AS n FROM t')).rows[0]?.n).toBe(1);
      await expect(client.execute({ sql: 'SELECT ?', args: [2n ** 62n] })).rejects.toThrow(RangeError);
    } finally {
      client.close();
    }
  });

  it('returns rows by index and by name, blobs as ArrayBuffer, and write counts', async () => {
    const client = serialClient(localClient(recordingConnect(tmp.path('values.db'), [])));
    try {
      await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)');
      const written = await client.execute({
        sql: 'INSERT INTO t (data) VALUES (?)',
        args: [new Uint8Array([1, 2, 3])],
      });
      expect(written.rowsAffected).toBe(1);
      expect(written.lastInsertRowid).toBe(1n);
      const { rows } = await client.execute('SELECT id, data FROM t');
      const row = rows[0]!;
      expect(row[0]).toBe(1);
      expect(row.id).toBe(1);
      expect([...new Uint8Array(row.data as ArrayBuffer)]).toEqual([1, 2, 3]);
      expect(Object.keys(row)).toEqual(['id', 'data']);
    } finally {
      client.close();
    }
  });

  it('gives every row shape @libsql/client gives: repeated, numeric and `length` column names', async () => {
    const client = await openDatabase({ path: tmp.path('shapes.db') });
    try {
      const twice = (await client.execute("SELECT 1 AS a, 2 AS a, 'x' AS b")).rows[0]!;
      expect([twice[0], twice[1], twice[2], twice.a, twice.length]).toEqual([1, 2, 'x', 1, 3]);
      expect({ ...twice }).toEqual({ a: 1, b: 'x' });
      const odd = (await client.execute('SELECT 7 AS length, 8 AS "0"')).rows[0]!;
      expect([odd.length, odd[0], odd[1]]).toEqual([2, 7, 8]);
      const plain = (await client.execute("SELECT 5 AS n, 'y' AS s")).rows;
      expect(plain.map((row) => [row.length, row[0], row[1], JSON.stringify(row)])).toEqual([
        [2, 5, 'y', '{"n":5,"s":"y"}'],
      ]);
    } finally {
      client.close();
    }
  });

  it('applies the per-connection settings again after a reconnect', async () => {
    const client = await openDatabase({ path: tmp.path('reconnect.db') });
    try {
      client.reconnect();
      expect((await client.execute('PRAGMA foreign_keys')).rows[0]?.[0]).toBe(1);
      expect((await client.execute('PRAGMA journal_mode')).rows[0]?.[0]).toBe('wal');
    } finally {
      client.close();
    }
  });
});
