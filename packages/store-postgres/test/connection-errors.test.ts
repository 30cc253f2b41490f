/**
 * A store URL may hold a password: an error opening the stores names the server (user, host,
 * port, database) in one line and never repeats the password, however it is printed.
 */
import { openPostgresStores, PostgresConnectionError } from '@oxydra/store-postgres';
import { expect, it } from 'vitest';
import { describePostgres, POSTGRES_URL } from './postgres-helpers.js';

const PASSWORD = 'hunter2-s3cr3t-pw';

/** The test URL with a password, and the host, port or database replaced. */
function urlWith(change: { port?: string; database?: string }): string {
  const url = new URL(POSTGRES_URL);
  url.password = PASSWORD;
  if (change.port !== undefined) url.port = change.port;
  if (change.database !== undefined) url.pathname = `/${change.database}`;
  return url.toString();
}

async function openingError(url: string): Promise<unknown> {
  return openPostgresStores({ url, schema: 'oxydra_never_created' }).then(
    async (stores) => {
      await stores.close();
      throw new Error('opened a store that should not open');
    },
    (error: unknown) => error,
  );
}

function expectNoPassword(error: unknown): void {
  const shown = [
    String(error),
    (error as Error).stack ?? '',
    JSON.stringify(error),
    (error as { hint?: string }).hint ?? '',
  ].join('\n');
  expect(shown).not.toContain(PASSWORD);
  expect(shown).not.toContain(encodeURIComponent(PASSWORD));
}

describePostgres('PostgreSQL connection errors', () => {
  it('names the host and database of a server that does not answer, without the password', async () => {
    // Port 1: nothing listens there, so the connection is refused at once.
    const error = await openingError(urlWith({ port: '1' }));
    expect(error).toBeInstanceOf(PostgresConnectionError);
    const message = (error as Error).message;
    expect(message).toMatch(/^cannot use PostgreSQL at \S+@127\.0\.0\.1:1\/\S+: .*ECONNREFUSED/);
    expect(message).not.toContain('\n');
    expectNoPassword(error);
  });

  it('names a database that does not exist, without the password', async () => {
    const error = await openingError(urlWith({ database: 'oxydra_no_such_database' }));
    expect(error).toBeInstanceOf(PostgresConnectionError);
    expect((error as PostgresConnectionError).reason).toBe('3D000');
    expect((error as Error).message).toMatch(/\/oxydra_no_such_database: database "oxydra_no_such_database"/);
    expect((error as Error).message).not.toContain('\n');
    expectNoPassword(error);
  });

  it('refuses a libpq keyword string before connecting, without repeating its password', async () => {
    for (const url of [`host=127.0.0.1 password=${PASSWORD}`, `  host=x password='${PASSWORD}' dbname=a`]) {
      const error = await openingError(url);
      expect((error as Error).message).toMatch(/takes a postgres:\/\/ URL.*keyword string/);
      expect((error as Error).message).not.toContain('\n');
      expectNoPassword(error);
    }
  });
});
