/**
 * Versioned migrations: each runs once even when two processes open a fresh schema together (the
 * advisory lock), a schema that is behind is refused when migrating is off, and one written by a
 * newer version is refused either way.
 */
import { LATEST_VERSION, MIGRATIONS, openPostgresStores } from '@oxydra/store-postgres';
import { afterEach, expect, it } from 'vitest';
import { adminQuery, describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

describePostgres('PostgreSQL migrations', () => {
  const schemas: string[] = [];
  const schemaForTest = () => {
    const schema = freshSchema();
    schemas.push(schema);
    return schema;
  };
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it('runs each migration once when several openers start on a fresh schema together', async () => {
    const schema = schemaForTest();
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresStores({ url: POSTGRES_URL, schema, maxConnections: 2 })),
    );
    try {
      const rows = await adminQuery<{ version: number; name: string }>(
        `SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`,
      );
      expect(rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
      // Every opener works on the one schema.
      await opened[0]!.state.save('cat', 'n', 1);
      expect((await opened[3]!.state.load('cat', 'n'))?.value).toBe(1);
      expect(await opened[1]!.migrate()).toEqual({ schema, applied: [], version: LATEST_VERSION });
    } finally {
      await Promise.all(opened.map((stores) => stores.close()));
    }
  });

  it('refuses a schema that is behind when told not to migrate, and one that is ahead always', async () => {
    const schema = schemaForTest();
    await expect(openPostgresStores({ url: POSTGRES_URL, schema, migrate: false })).rejects.toThrow(
      /is at version 0, this Oxydra needs \d+: migrate it first/,
    );
    const stores = await openPostgresStores({ url: POSTGRES_URL, schema });
    await stores.close();
    await adminQuery(
      `INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, 'from the future')`,
      [LATEST_VERSION + 1],
    );
    for (const migrate of [true, false]) {
      await expect(openPostgresStores({ url: POSTGRES_URL, schema, migrate })).rejects.toThrow(
        `is at version ${LATEST_VERSION + 1}, but this Oxydra knows versions up to ${LATEST_VERSION}`,
      );
    }
  });

  it('refuses a schema name that is not a plain identifier before connecting', async () => {
    for (const schema of ['Public', 'a-b', '1abc', 'x; DROP SCHEMA public', '']) {
      await expect(openPostgresStores({ url: POSTGRES_URL, schema })).rejects.toThrow(
        /not a plain identifier/,
      );
    }
  });
});
