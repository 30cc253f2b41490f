/**
 * Shared by the PostgreSQL tests: the server they use (OXYDRA_TEST_POSTGRES_URL, default the
 * project machines' 127.0.0.1:5432 `test` database with trust auth), whether it answers, and
 * stores opened on a fresh schema that is dropped after. Without a server the suites are skipped
 * with the reason in their name, unless OXYDRA_REQUIRE_POSTGRES=1 (CI) makes that a failure.
 */
import { randomBytes } from 'node:crypto';
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import type { StoreOpener } from '@oxydra/testkit/store-contracts';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, vi } from 'vitest';
import { getCurrentSuite } from 'vitest/suite';

export const POSTGRES_URL = process.env.OXYDRA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function unreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `no PostgreSQL answers at the test URL (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

const skipReason = await unreachable();
if (skipReason !== undefined && process.env.OXYDRA_REQUIRE_POSTGRES === '1') {
  throw new Error(`${skipReason}; OXYDRA_REQUIRE_POSTGRES=1 says this machine has one: start it`);
}

/** describe, skipped with the reason in its name when no server answers. */
export function describePostgres(name: string, body: () => void): void {
  if (skipReason === undefined) describe(name, body);
  else describe.skip(`${name} (skipped: ${skipReason}; set OXYDRA_REQUIRE_POSTGRES=1 to fail instead)`, body);
}

/** A schema name no other test (or process) uses. */
export function freshSchema(): string {
  return `oxydra_test_${process.pid}_${randomBytes(6).toString('hex')}`;
}

/** Drops a test's schema with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs `text` on the test database (or the one at `url`), for looking under the stores. */
export async function adminQuery<R extends pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
  url = POSTGRES_URL,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * What a freshly migrated schema holds, to put a used one back to it: its relations (a test's
 * own, such as a model's HNSW index or `oxydra store copy`'s progress table, are dropped), the
 * rows the migrations wrote (audit_head's genesis), and its sequences (restarted). A schema whose
 * tables a test changed beyond their rows (statistics, reloptions, row estimates: what
 * ANALYZE, ALTER TABLE or an index build leave) is not reused but dropped.
 */
interface MigratedShape {
  /** Each relation's name and state (reloptions, reltuples, whether ANALYZE has statistics of it). */
  relations: Map<string, string>;
  tables: string[];
  sequences: string[];
  seeds: { table: string; rows: unknown[] }[];
}

/**
 * Migrated schemas of this test file's process, reused: migrating a schema costs the server
 * about a second of CPU (each test of the contract suites did, ~90 of them), putting a used one
 * back to its migrated state (resetSchema) a few tens of milliseconds. `free`: closed by their
 * test and reset, ready for the next; all of them are dropped after the file's tests.
 */
const schemaPool = {
  free: [] as string[],
  all: new Set<string>(),
  shape: undefined as MigratedShape | undefined,
};

/** The schema's relations: name, kind (pg_class.relkind) and state (see MigratedShape). */
function schemaRelations(schema: string): Promise<{ name: string; kind: string; state: string }[]> {
  return adminQuery(
    `SELECT c.relname AS name, c.relkind AS kind,
       concat_ws('|', c.reloptions::text, c.reltuples::text,
         EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = c.oid)) AS state
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'i', 'S', 'v', 'm')`,
    [schema],
  );
}

async function migratedShape(schema: string): Promise<MigratedShape> {
  const relations = await schemaRelations(schema);
  // Referencing tables first, so each DELETE finds no row still referenced.
  const references = await adminQuery<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c
     JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'f'`,
    [schema],
  );
  const bare = (name: string) => name.slice(name.lastIndexOf('.') + 1);
  const left = relations.filter((r) => r.kind === 'r' && r.name !== 'schema_migrations').map((r) => r.name);
  const tables: string[] = [];
  while (left.length > 0) {
    const next = left.findIndex((table) =>
      left.every(
        (other) =>
          other === table || !references.some((f) => bare(f.child) === other && bare(f.parent) === table),
      ),
    );
    if (next < 0)
      throw new Error(`the tables of ${schema} reference each other in a cycle: ${left.join(', ')}`);
    tables.push(...left.splice(next, 1));
  }
  const seeds: MigratedShape['seeds'] = [];
  for (const table of tables) {
    const rows = await adminQuery(`SELECT * FROM ${schema}.${table}`);
    if (rows.length > 0) seeds.push({ table, rows });
  }
  return {
    relations: new Map(relations.map((r) => [r.name, r.state])),
    tables,
    sequences: relations.filter((r) => r.kind === 'S').map((r) => r.name),
    seeds,
  };
}

/**
 * Puts a used schema back to what the migrations left, in one transaction; false (nothing done)
 * when a table changed beyond its rows.
 */
async function resetSchema(schema: string, shape: MigratedShape): Promise<boolean> {
  const extra = await schemaRelations(schema);
  const changed = extra.some(
    (r) => r.kind === 'r' && shape.relations.has(r.name) && shape.relations.get(r.name) !== r.state,
  );
  if (changed) return false;
  const literal = (value: unknown) => `'${JSON.stringify(value).replaceAll("'", "''")}'`;
  const statements = [
    // A table a test made takes its indexes and sequences with it; an index of its own goes alone.
    ...extra
      .filter((r) => !shape.relations.has(r.name) && r.kind !== 'i' && r.kind !== 'S')
      .map(
        (r) =>
          `DROP ${r.kind === 'v' ? 'VIEW' : r.kind === 'm' ? 'MATERIALIZED VIEW' : 'TABLE'} IF EXISTS ${schema}.${r.name} CASCADE`,
      ),
    ...extra
      .filter((r) => !shape.relations.has(r.name) && r.kind === 'i')
      .map((r) => `DROP INDEX IF EXISTS ${schema}.${r.name}`),
    ...shape.tables.map((table) => `DELETE FROM ${schema}.${table}`),
    ...shape.seeds.map(
      ({ table, rows }) =>
        `INSERT INTO ${schema}.${table} SELECT * FROM json_populate_recordset(NULL::${schema}.${table}, ${literal(rows)})`,
    ),
    ...shape.sequences.map((sequence) => `ALTER SEQUENCE ${schema}.${sequence} RESTART`),
  ];
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`BEGIN; ${statements.join('; ')}; COMMIT`);
  } finally {
    await client.end();
  }
  return true;
}

/**
 * A schema of its own for one opener's stores, migrated, as freshSchema + openPostgresStores
 * give (a reused one put back to its migrated state first); `release` hands it back once its
 * stores are closed.
 */
async function migratedSchema(): Promise<string> {
  const reused = schemaPool.free.pop();
  if (reused !== undefined) return reused;
  const schema = freshSchema();
  schemaPool.all.add(schema);
  const stores = await openPostgresStores({ url: POSTGRES_URL, schema });
  await stores.close();
  schemaPool.shape ??= await migratedShape(schema);
  return schema;
}

async function releaseSchema(schema: string): Promise<void> {
  if (!schemaPool.shape) throw new Error('releaseSchema before any migratedSchema');
  if (await resetSchema(schema, schemaPool.shape)) {
    schemaPool.free.push(schema);
  } else {
    schemaPool.all.delete(schema);
    await dropSchema(schema);
  }
}

/**
 * The test files that have the hook: once per file, not per module, since this package's files
 * share a process (vitest.config.ts), so this module and its pool outlive a file.
 */
const poolDroppedFor = new WeakSet<object>();
/** Inside a describe (or at a file's top): drop the pooled schemas after the file's tests. */
function dropPoolAfterAll(): void {
  const file = getCurrentSuite().file;
  if (poolDroppedFor.has(file)) return;
  poolDroppedFor.add(file);
  afterAll(async () => {
    await Promise.all([...schemaPool.all].map((schema) => dropSchema(schema)));
    schemaPool.all.clear();
    schemaPool.free.length = 0;
  });
}

/**
 * Migrated schemas from this file's pool (see schemaPool), for a test opening its stores itself:
 * `take` one (at a test's start), `release` it once every pool on it is closed. Call it where a
 * hook may be declared (a describe's body, a file's top).
 */
export function migratedSchemas(): { take(): Promise<string>; release(schema: string): Promise<void> } {
  dropPoolAfterAll();
  return { take: migratedSchema, release: releaseSchema };
}

/**
 * Opens the stores on a schema of their own for each test (a migrated one reused: see
 * schemaPool); `another` opens a second pool on the same schema (as a second process would), so
 * the suites race two real connections. `bus`: the first stores' event bus is open too (the
 * spend store tells of cap changes while it listens).
 */
export function postgresOpener<S>(
  pick: (stores: PostgresStores) => S,
  options: { bus?: boolean } = {},
): StoreOpener<S> {
  dropPoolAfterAll();
  return async () => {
    const schema = await migratedSchema();
    const first = await openPostgresStores({ url: POSTGRES_URL, schema });
    const bus = options.bus ? await first.openBus('contract-first') : undefined;
    const others: PostgresStores[] = [];
    return {
      store: pick(first),
      async another() {
        const other = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
        others.push(other);
        return { store: pick(other), close: () => other.close() };
      },
      async close() {
        await Promise.all(others.map((other) => other.close().catch(() => {})));
        await bus?.close();
        await first.close();
        await releaseSchema(schema);
      },
    };
  };
}

/** Inside a describe: fresh stores for each test (its own schema, dropped after); the getter gives this test's. */
export function freshStoresEach(): () => PostgresStores {
  let stores: PostgresStores | undefined;
  let close: (() => Promise<void>) | undefined;
  const opener = postgresOpener((all) => all);
  beforeEach(async () => {
    const opened = await opener();
    stores = opened.store;
    close = opened.close;
  });
  afterEach(() => close?.());
  return () => {
    if (!stores) throw new Error('the stores are opened in beforeEach: ask for them inside a test');
    return stores;
  };
}

/**
 * What every pg Client of this process does while `fn` runs: `sent` with a statement's text when
 * it is handed to the driver, `answered` with its text and rows when it settles (no rows: it
 * failed). Both ways pg is called: a client's promise, the pool's callback.
 */
export async function watchStatements<T>(
  fn: () => Promise<T>,
  watcher: { sent?(text: string): void; answered?(text: string, rows?: unknown[]): void },
): Promise<T> {
  const original = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const config = args[0] as string | { text?: string };
    const text = typeof config === 'string' ? config : String(config.text);
    watcher.sent?.(text);
    const settled = (result?: { rows?: unknown[] }) => watcher.answered?.(text, result?.rows);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: { rows?: unknown[] }) => {
        settled(error ? undefined : result);
        return callback(error, result);
      };
    }
    const answer = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (answer instanceof Promise) answer.then(settled, () => settled());
    return answer;
  } as typeof original);
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}
