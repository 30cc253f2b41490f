/**
 * The async view of the kernel database's control stores holds its transaction across awaits on
 * the database's one connection: a synchronous write meanwhile would join it and vanish with its
 * rollback, so it is refused, and works again once the transaction has ended. The stores a run
 * does not use (tokens, approvals, schedules) load at their first call, in their turn. A write
 * transaction begins without blocking the thread: the busy timeout dropped for BEGIN IMMEDIATE
 * and restored, in one call into the binding (three were ~8 of a library run's statements), and
 * while another connection holds the write lock it tries again after pauses, the timeout
 * restored between tries.
 */
import { pollUntil, tempWorkspace } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUSY_TIMEOUT_MS,
  type KernelDb,
  kernelDbPath,
  openKernelDb,
  writeTransaction,
} from '../src/store/kernel-db.js';
import { asyncControlStores } from '../src/store/libsql/async-view.js';
import { libsqlControlStores } from '../src/store/libsql/control.js';

let workspace: ReturnType<typeof tempWorkspace>;
let db: KernelDb;
beforeEach(async () => {
  workspace = tempWorkspace({ prefix: 'oxydra-async-view-' });
  db = await openKernelDb(workspace.dir);
});
afterEach(() => {
  db.close();
  workspace.cleanup();
});

const token = (id: string) => ({
  id,
  digest: `digest-${id}`,
  userId: 'alice',
  role: 'user' as const,
  label: `label-${id}`,
  createdAt: new Date(0).toISOString(),
  pending: false,
});

it('refuses a synchronous write while an async transaction is open, not joins it', async () => {
  const group = asyncControlStores(db);
  const insertSync = () =>
    writeTransaction(db, () => {
      db.prepare(
        "INSERT INTO admin_approvals VALUES ('sync', 'x', '{}', 'a', 'b', 'c', 'pending', NULL, NULL, NULL)",
      ).run();
    });
  let sawRefusal: unknown;
  await group
    .transaction(async () => {
      await Promise.resolve();
      try {
        insertSync();
      } catch (error) {
        sawRefusal = error;
      }
      throw new Error('roll back');
    })
    .catch(() => undefined);
  expect(String(sawRefusal)).toMatch(/async store transaction open/);
  insertSync();
  expect((await group.approvals.get('sync'))?.op).toBe('x');
});

describe('control stores loaded at their first call', () => {
  it('keep the order of calls: a read issued right after a write, both before the store loaded, sees it', async () => {
    const group = asyncControlStores(db);
    const inserted = group.tokens.insert(token('t1'));
    const read = group.tokens.get('t1');
    await inserted;
    expect((await read)?.label).toBe('label-t1');
    // The sync group sees it too.
    expect(libsqlControlStores(db).tokens.get('t1')?.label).toBe('label-t1');
  });

  it('hold no write lock while the module loads: the first write begins its transaction once loaded', async () => {
    const group = asyncControlStores(db);
    const inserted = group.tokens.insert(token('t2'));
    expect(db.inTransaction).toBe(false);
    await inserted;
    expect(db.inTransaction).toBe(false);
    expect((await group.tokens.get('t2'))?.label).toBe('label-t2');
  });

  it("bind to a group transaction: a rolled-back one keeps none of a lazily loaded store's writes", async () => {
    const group = asyncControlStores(db);
    const approval = {
      id: 'a1',
      op: 'token_create',
      params: {},
      requestedBy: 'token:first',
      requestedAt: new Date(0).toISOString(),
      expiresAt: new Date(10 ** 13).toISOString(),
    };
    await expect(
      group.transaction(async (stores) => {
        await stores.approvals.insert(approval);
        expect((await stores.approvals.get('a1'))?.op).toBe('token_create');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await group.approvals.get('a1')).toBeUndefined();
    await group.transaction(async (stores) => stores.approvals.insert(approval));
    expect((await group.approvals.get('a1'))?.status).toBe('pending');
  });
});

describe('write transactions begun without blocking', () => {
  /** Every exec text on `db` while `fn` runs (`texts`, which `fn` may read as it grows). */
  async function execsDuring(fn: () => Promise<unknown>, texts: string[] = []): Promise<string[]> {
    const exec = db.exec.bind(db);
    db.exec = ((text: string) => {
      texts.push(text);
      return exec(text);
    }) as typeof db.exec;
    try {
      await fn();
    } finally {
      db.exec = exec;
    }
    return texts;
  }

  const timeout = () => (db.pragma('busy_timeout') as { timeout: number }[])[0]?.timeout;

  it('begins and commits a transaction in two calls into the binding, the busy timeout restored', async () => {
    const group = asyncControlStores(db);
    await group.transaction(async (stores) => stores.tokens.insert(token('t0')));
    const texts = await execsDuring(() =>
      group.transaction(async (stores) => stores.tokens.insert(token('t1'))),
    );
    expect(texts).toEqual([
      `PRAGMA busy_timeout=0; BEGIN IMMEDIATE; PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`,
      'COMMIT',
    ]);
    expect(timeout()).toBe(BUSY_TIMEOUT_MS);
    expect((await group.tokens.get('t1'))?.label).toBe('label-t1');
  });

  it('waits without blocking while another connection holds the lock, the timeout restored between tries', async () => {
    const group = asyncControlStores(db);
    const other = new Database(kernelDbPath(workspace.dir), { timeout: BUSY_TIMEOUT_MS });
    try {
      other.exec('BEGIN IMMEDIATE');
      let committed = false;
      const texts: string[] = [];
      await execsDuring(async () => {
        const written = group
          .transaction(async (stores) => stores.tokens.insert(token('t2')))
          .then(() => {
            committed = true;
          });
        // Refused twice (the thread free meanwhile: this runs), the timeout the database's between tries.
        await pollUntil(
          () => texts.filter((text) => text.includes('BEGIN')).length >= 2,
          'a second try of BEGIN',
        );
        expect(committed).toBe(false);
        expect(db.inTransaction).toBe(false);
        expect(timeout()).toBe(BUSY_TIMEOUT_MS);
        other.exec('COMMIT');
        await written;
      }, texts);
      expect(committed).toBe(true);
      expect(timeout()).toBe(BUSY_TIMEOUT_MS);
      expect(texts.at(-1)).toBe('COMMIT');
      expect((await group.tokens.get('t2'))?.label).toBe('label-t2');
    } finally {
      other.close();
    }
  });
});
