/**
 * Real kernel databases in temporary folders for one test file: each test's are closed and
 * removed after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type KernelDb, openKernelDb } from '../src/store/kernel-db.js';

export function scratchKernelDbs(prefix: string): {
  folder(): string;
  open(folder: string): Promise<KernelDb>;
} {
  const folders: string[] = [];
  const dbs: KernelDb[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) if (db.open) db.close();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return {
    folder() {
      const folder = mkdtempSync(join(tmpdir(), prefix));
      folders.push(folder);
      return folder;
    },
    async open(folder) {
      const db = await openKernelDb(folder);
      dbs.push(db);
      return db;
    },
  };
}
