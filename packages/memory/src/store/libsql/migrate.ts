/**
 * Brings a database to the latest schema. The pending migrations run in one write transaction
 * (BEGIN IMMEDIATE) that first re-reads the version: when two processes open a fresh file at
 * once, the second waits for the first's lock, sees the steps done and skips them.
 */
import type { Client, Transaction } from '@libsql/client';
import { SchemaTooNewError } from '../../errors.js';
import { nowIso } from '../../store-input.js';
import type { Migration } from './migrations/index.js';

/**
 * The schema version this build migrates to: the number of migrations (a test holds the two
 * together). Kept here rather than counted from the list so that opening an up-to-date
 * database, every run but the first, does not load the migrations' SQL at all.
 */
export const LATEST_SCHEMA_VERSION = 7;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export interface MigrateOptions {
  /** The steps to apply; tests pass a prefix of MIGRATIONS to build an older database. */
  migrations?: readonly Migration[];
  /** Names the database in errors (its path); default "(memory database)". */
  label?: string;
}

export interface MigrationReport {
  /** Schema version before (0: an empty database). */
  from: number;
  /** Schema version now. */
  to: number;
  /** Versions this call applied; a concurrent process may have applied the others. */
  applied: number[];
}

async function readVersion(db: Client | Transaction): Promise<number> {
  const table = await db.execute(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
  );
  if (table.rows.length === 0) return 0;
  const result = await db.execute('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations');
  return Number(result.rows[0]?.version ?? 0);
}

/** The database's schema version: the highest migration applied, 0 if none. */
export function schemaVersion(client: Client): Promise<number> {
  return readVersion(client);
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}

/** Applies every pending migration in order; refuses a database newer than `migrations`. */
export async function migrate(client: Client, options: MigrateOptions = {}): Promise<MigrationReport> {
  const from = await readVersion(client);
  if (options.migrations === undefined && from === LATEST_SCHEMA_VERSION) {
    return { from, to: from, applied: [] };
  }
  const migrations = options.migrations ?? (await import('./migrations/index.js')).MIGRATIONS;
  const label = options.label ?? '(memory database)';
  const latest = migrations.length;
  checkSequence(migrations);
  const tooNew = (version: number) => new SchemaTooNewError(label, version, latest);
  if (from > latest) throw tooNew(from);
  const applied: number[] = [];
  let current = from;
  // Every pending step in one write transaction: a new file costs one commit (and its syncs), not
  // one per step, and an upgrade is all or nothing (a failed step leaves the file as it was).
  const tx = await client.transaction('write');
  let step: Migration | undefined;
  try {
    await tx.execute(CREATE_MIGRATIONS_TABLE);
    const version = await readVersion(tx);
    if (version > latest) throw tooNew(version);
    current = Math.max(current, version);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      step = migration;
      for (const sql of migration.statements) await tx.execute(sql);
      await tx.execute({
        sql: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        args: [migration.version, migration.name, nowIso()],
      });
      applied.push(migration.version);
      current = migration.version;
    }
    step = undefined;
    await tx.commit();
  } catch (error) {
    if (error instanceof SchemaTooNewError) throw error;
    const what = step ? `migration ${step.version} (${step.name})` : 'the migrations';
    throw new Error(
      `memory database ${label}: ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    tx.close();
  }
  return { from, to: current, applied };
}
