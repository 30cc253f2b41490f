/**
 * The async view of the kernel database's control stores holds its transaction across awaits on
 * the database's one connection: a synchronous write meanwhile would join it and vanish with its
 * rollback, so it is refused, and works again once the transaction has ended.
 */
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, expect, it } from 'vitest';
import { openKernelDb, writeTransaction } from '../src/store/kernel-db.js';
import { asyncControlStores } from '../src/store/libsql/async-view.js';

const workspace = tempWorkspace({ prefix: 'oxydra-async-view-' });
const db = openKernelDb(workspace.dir);
afterEach(() => {
  db.close();
  workspace.cleanup();
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
