/**
 * StoreTransfer (@oxydra/types) on the kernel database, for `oxydra store copy`: the shared
 * SQLite transfer of @oxydra/memory over this file's synchronous connection.
 */
import { sqliteTransfer } from '@oxydra/memory';
import type { StoreTransfer } from '@oxydra/types';
import { type KernelDb, type KernelStatement, writeTransaction } from '../kernel-db.js';

/** The kernel database's tables: the control stores' records. */
const KERNEL_TABLES = [
  'gateway_tokens',
  'admin_approvals',
  'schedules',
  'schedule_runs',
  'audit_log',
  'audit_meta',
  'budget_spend',
  'budget_reservations',
  'budget_limits',
  'usage_log',
];

export function kernelTransfer(db: KernelDb, source: string): StoreTransfer {
  // A batch inserts many rows with one statement: prepared once.
  const prepared = new Map<string, KernelStatement>();
  const statement = (sql: string) => {
    const found = prepared.get(sql) ?? (db.prepare(sql) as unknown as KernelStatement);
    prepared.set(sql, found);
    return found;
  };
  return sqliteTransfer(
    {
      all: async (sql, args) => statement(sql).all(...args) as Record<string, unknown>[],
      batch: async (statements) =>
        writeTransaction(db, () => {
          for (const { sql, args } of statements) statement(sql).run(...args);
        }),
    },
    { source, tables: KERNEL_TABLES },
  );
}
