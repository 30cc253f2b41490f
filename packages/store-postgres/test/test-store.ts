/**
 * The store matrix of the kernel and gateway suites (issue 33): which store their kernels keep
 * their data in, from OXYDRA_TEST_STORE. `libsql` (the default): the kernel's own embedded
 * files, as always. `postgres` (the vitest project of that name): every test kernel gets the
 * PostgreSQL stores on a schema of its own, handed over as the CLI hands them
 * (`kernelStores`), the schema dropped when the test is done with it. One suite, two stores:
 * nothing here is loaded on the libSQL side (neither `pg` nor the store package).
 */
import type { PostgresKernelStores, PostgresStores } from '@oxydra/store-postgres';

export type TestStore = 'libsql' | 'postgres';

function testStore(): TestStore {
  const value = process.env.OXYDRA_TEST_STORE?.trim() || 'libsql';
  if (value !== 'libsql' && value !== 'postgres') {
    throw new Error(`OXYDRA_TEST_STORE is "${value}": use libsql (the default) or postgres`);
  }
  return value;
}

/** The store this run's kernels use. */
export const TEST_STORE: TestStore = testStore();

/** True on the PostgreSQL side of the matrix: for `it.skipIf(ON_POSTGRES)` with its reason. */
export const ON_POSTGRES = TEST_STORE === 'postgres';

/** The PostgreSQL stores of one test kernel, on its own schema. */
export interface TestPostgres {
  schema: string;
  stores: PostgresStores;
  /** What the kernel takes of them, exactly as the CLI hands it over. */
  kernel: PostgresKernelStores;
  /** Closes the pool (after the kernel's close; the schema stays, for a restart). */
  close(): Promise<void>;
}

/**
 * Opens the stores on `schema` (a fresh one when not given; migrated first, as the CLI opens
 * them), for one kernel; a second process's kernel on the same schema passes it. `url`: the
 * server another way (a proxy a test cuts), the test server by default.
 */
export async function openTestPostgres(schema?: string, url?: string): Promise<TestPostgres> {
  const [{ kernelStores, openPostgresStores }, { freshSchema, POSTGRES_URL }] = await Promise.all([
    import('@oxydra/store-postgres'),
    import('./postgres-helpers.js'),
  ]);
  const name = schema ?? freshSchema();
  const stores = await openPostgresStores({ url: url ?? POSTGRES_URL, schema: name });
  let closing: Promise<void> | undefined;
  return {
    schema: name,
    stores,
    kernel: kernelStores(stores),
    close() {
      closing ??= stores.close();
      return closing;
    },
  };
}

/** Drops a test's schema with everything in it (its kernels closed first). */
export async function dropTestSchema(schema: string): Promise<void> {
  const { dropSchema } = await import('./postgres-helpers.js');
  await dropSchema(schema);
}
