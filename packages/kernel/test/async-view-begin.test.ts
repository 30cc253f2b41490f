/**
 * The async view begins its write transactions without blocking the thread: the busy timeout
 * dropped for BEGIN IMMEDIATE and restored, in one call into the binding (three were ~8 of a
 * library run's statements), and while another connection holds the write lock it tries again
 * after pauses, the timeout restored between tries, until the lock is free.
 */
import { tempWorkspace } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, type KernelDb, kernelDbPath, openKernelDb } from '../src/store/kernel-db.js';
import { asyncControlStores } from '../src/store/libsql/async-view.js';

let workspace: ReturnType<typeof tempWorkspace>;
let db: KernelDb;
beforeEach(async () => {
  workspace = tempWorkspace({ prefix: 'oxydra-async-begin-' });
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

/** Every exec text on `db` while `fn` runs. */
async function execsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
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
    const written = group
      .transaction(async (stores) => stores.tokens.insert(token('t2')))
      .then(() => {
        committed = true;
      });
    // The thread is free meanwhile (this runs), and between tries the timeout is the database's.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(committed).toBe(false);
    expect(db.inTransaction).toBe(false);
    expect(timeout()).toBe(BUSY_TIMEOUT_MS);
    other.exec('COMMIT');
    await written;
    expect(committed).toBe(true);
    expect(timeout()).toBe(BUSY_TIMEOUT_MS);
    expect((await group.tokens.get('t2'))?.label).toBe('label-t2');
  } finally {
    other.close();
  }
});
