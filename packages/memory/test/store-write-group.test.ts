import type { Transaction } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/index.js';
import { groupWrite } from '../src/store/local/write-group.js';
import { type TempDir, tempDir } from './store-helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function database() {
  const path = tmp.path('memory.db');
  const client = await openDatabase({ path });
  await client.execute('CREATE TABLE t (x INTEGER NOT NULL)');
  return { client, path };
}

const insert = (tx: Transaction, x: number) => tx.execute({ sql: 'INSERT INTO t VALUES (?)', args: [x] });

describe('groupWrite', () => {
  it('commits jobs that arrive together in one transaction, each settled after the COMMIT', async () => {
    const { client, path } = await database();
    const other = await openDatabase({ path });
    try {
      const seen: Transaction[] = [];
      // The connection is busy with this read while the three jobs arrive: they form one group.
      const busy = client.execute('SELECT 1');
      const jobs = [1, 2, 3].map((x) =>
        groupWrite(client, async (tx) => {
          seen.push(tx);
          await insert(tx, x);
          return x * 10;
        }),
      );
      await busy;
      const first = await jobs[0];
      // Settled means committed: another connection sees every row of the group already.
      const rows = await other.execute('SELECT x FROM t ORDER BY x');
      expect(rows.rows.map((row) => row.x)).toEqual([1, 2, 3]);
      expect([first, await jobs[1], await jobs[2]]).toEqual([10, 20, 30]);
      expect(new Set(seen).size).toBe(1);
    } finally {
      other.close();
      client.close();
    }
  });

  it('rolls back a failing job alone: the others in its group are committed', async () => {
    const { client } = await database();
    try {
      const busy = client.execute('SELECT 1');
      const ok1 = groupWrite(client, (tx) => insert(tx, 1));
      const failing = groupWrite(client, async (tx) => {
        await insert(tx, 2);
        throw new Error('job 2 failed after writing');
      });
      const violating = groupWrite(client, async (tx) => {
        await insert(tx, 3);
        await tx.execute('INSERT INTO t VALUES (NULL)');
      });
      const ok4 = groupWrite(client, (tx) => insert(tx, 4));
      await busy;
      await expect(failing).rejects.toThrow('job 2 failed after writing');
      await expect(violating).rejects.toThrow(/NOT NULL/);
      await ok1;
      await ok4;
      const rows = await client.execute('SELECT x FROM t ORDER BY x');
      expect(rows.rows.map((row) => row.x)).toEqual([1, 4]);
      // The connection is left outside any transaction: the next write works on its own.
      await groupWrite(client, (tx) => insert(tx, 5));
      expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(3);
    } finally {
      client.close();
    }
  });

  it('runs a group with no savepoint unless a job fails, then again with one per job', async () => {
    const { client } = await database();
    // The client, recording what its transactions run outside the jobs' own statements.
    const statements: string[] = [];
    const recording = new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== 'transaction') return typeof value === 'function' ? value.bind(target) : value;
        return async (mode: 'write') => {
          const tx = await target.transaction(mode);
          return new Proxy(tx, {
            get(inner, name) {
              const method = Reflect.get(inner, name, inner);
              if (name !== 'execute') return typeof method === 'function' ? method.bind(inner) : method;
              return (stmt: string | { sql: string }) => {
                statements.push(typeof stmt === 'string' ? stmt : stmt.sql);
                return inner.execute(stmt);
              };
            },
          });
        };
      },
    });
    try {
      let busy = client.execute('SELECT 1');
      const together = [1, 2, 3].map((x) => groupWrite(recording, (tx) => insert(tx, x)));
      await busy;
      await Promise.all(together);
      expect(statements.filter((sql) => sql.startsWith('SAVEPOINT'))).toEqual([]);
      expect(statements.filter((sql) => sql.startsWith('INSERT'))).toHaveLength(3);
      statements.length = 0;
      busy = client.execute('SELECT 1');
      const runs: number[] = [];
      const ok = groupWrite(recording, async (tx) => {
        runs.push(4);
        await insert(tx, 4);
      });
      const failing = groupWrite(recording, async (tx) => {
        await insert(tx, 5);
        throw new Error('job 5 failed');
      });
      await busy;
      await expect(failing).rejects.toThrow('job 5 failed');
      await ok;
      // Its first run was rolled back with the failing job's; the second, in a savepoint, stays.
      expect(runs).toEqual([4, 4]);
      expect(statements.filter((sql) => sql.startsWith('SAVEPOINT'))).toHaveLength(2);
      const rows = await client.execute('SELECT x FROM t ORDER BY x');
      expect(rows.rows.map((row) => row.x)).toEqual([1, 2, 3, 4]);
    } finally {
      client.close();
    }
  });

  it('writes nothing of a lone job that fails', async () => {
    const { client } = await database();
    try {
      await expect(
        groupWrite(client, async (tx) => {
          await insert(tx, 1);
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(0);
    } finally {
      client.close();
    }
  });
});
