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
import { afterEach, beforeEach, describe, vi } from 'vitest';

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
 * Opens the stores on a fresh schema for each test; `another` opens a second pool on the same
 * schema (as a second process would), so the suites race two real connections. `bus`: the first
 * stores' event bus is open too (the spend store tells of cap changes while it listens).
 */
export function postgresOpener<S>(
  pick: (stores: PostgresStores) => S,
  options: { bus?: boolean } = {},
): StoreOpener<S> {
  return async () => {
    const schema = freshSchema();
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
        await dropSchema(schema);
      },
    };
  };
}

/** Inside a describe: fresh stores for each test (its own schema, dropped after); the getter gives this test's. */
export function freshStoresEach(): () => PostgresStores {
  let stores: PostgresStores | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const opened = await postgresOpener((all) => all)();
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
