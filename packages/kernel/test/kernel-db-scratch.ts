/**
 * Real kernel databases in temporary folders for one test file: each test's are closed and
 * removed after it.
 */
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach } from 'vitest';
import { type KernelDb, openKernelDb } from '../src/store/kernel-db.js';

export function scratchKernelDbs(prefix: string): {
  folder(): string;
  open(folder: string): Promise<KernelDb>;
} {
  const folders: TempWorkspace[] = [];
  const dbs: KernelDb[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) if (db.open) db.close();
    for (const folder of folders.splice(0)) folder.cleanup();
  });
  return {
    folder() {
      const folder = tempWorkspace({ prefix });
      folders.push(folder);
      return folder.dir;
    },
    async open(folder) {
      const db = await openKernelDb(folder);
      dbs.push(db);
      return db;
    },
  };
}
