/**
 * kernel.db's opener loads the migration steps (kernel-schema.ts) only when the file lacks one:
 * KERNEL_SCHEMA_VERSION stands for their count, so the two must agree, and a file one step
 * behind (an older Oxydra's) or ahead (a newer one's) must still be migrated or refused.
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_SCHEMA_VERSION, type KernelDb } from '../src/store/kernel-db.js';
import { KERNEL_MIGRATIONS } from '../src/store/kernel-schema.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-kernel-db-version-');
// libsql's pragma() has no `simple` mode: the first value of the row.
const version = (db: KernelDb) => Number((db.prepare('PRAGMA user_version').raw(true).get() as unknown[])[0]);
const scheduleColumns = (db: KernelDb) =>
  (db.prepare("SELECT name FROM pragma_table_info('schedules')").all() as { name: string }[]).map(
    (row) => row.name,
  );

describe('the kernel database schema version', () => {
  it('is the number of migration steps', () => {
    expect(KERNEL_SCHEMA_VERSION).toBe(KERNEL_MIGRATIONS.length);
  });

  it('a new file is migrated to it, and an up-to-date one opens as it is', async () => {
    const folder = scratch.folder();
    const db = await scratch.open(folder);
    expect(version(db)).toBe(KERNEL_SCHEMA_VERSION);
    db.prepare('INSERT INTO budget_limits (scope, key, value) VALUES (?, ?, ?)').run('x', 'usd_day', 1);
    db.close();
    const again = await scratch.open(folder);
    expect(version(again)).toBe(KERNEL_SCHEMA_VERSION);
    expect(again.prepare('SELECT scope FROM budget_limits').all()).toEqual([{ scope: 'x' }]);
  });

  it("a file one step behind (an older Oxydra's) gets the last step", async () => {
    const folder = scratch.folder();
    const db = await scratch.open(folder);
    // Undo step 8 (spec schedules' columns), as a file written by the Oxydra before it.
    db.exec(
      'ALTER TABLE schedules DROP COLUMN directive; ALTER TABLE schedule_runs DROP COLUMN spec_outcome',
    );
    db.pragma(`user_version=${KERNEL_SCHEMA_VERSION - 1}`);
    expect(scheduleColumns(db)).not.toContain('directive');
    db.close();
    const again = await scratch.open(folder);
    expect(version(again)).toBe(KERNEL_SCHEMA_VERSION);
    expect(scheduleColumns(again)).toContain('directive');
  });

  it('a file a newer Oxydra wrote is refused, not opened', async () => {
    const folder = scratch.folder();
    const db = await scratch.open(folder);
    db.pragma(`user_version=${KERNEL_SCHEMA_VERSION + 1}`);
    db.close();
    await expect(scratch.open(folder)).rejects.toThrow(
      `was written by a newer Oxydra (schema ${KERNEL_SCHEMA_VERSION + 1}, this one knows ${KERNEL_SCHEMA_VERSION})`,
    );
  });
});
