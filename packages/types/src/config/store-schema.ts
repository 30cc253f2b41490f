/**
 * `[store]`: where sessions, notes and kernel state live. `libsql` (the default) is the
 * embedded file in the workspace: no setup, nothing to run. `postgres` is a server several
 * processes can share (docs/postgres.md). The URL comes from an environment variable (url_env)
 * so the password is never in a file; a literal `url` is accepted only without a password.
 */
import { z } from 'zod';
import { once } from '../once.js';
import { urlPassword } from '../secret-forms.js';

const STORE_BACKENDS = ['libsql', 'postgres'] as const;

/** The variable [store] url_env names by default. */
export const STORE_URL_ENV = 'OXYDRA_STORE_URL';

/** Whether a postgres:// URL carries a password (urlPassword). */
export function holdsPassword(url: string): boolean {
  return urlPassword(url) !== undefined;
}

const postgresUrl = once(() =>
  z
    .string()
    .min(1)
    .refine((url) => /^postgres(ql)?:\/\/[^\s]+$/.test(url), {
      error:
        'is not a postgres:// URL (postgres://user@host:5432/database; a keyword string such as host=… dbname=… is not taken)',
    })
    .refine((url) => !holdsPassword(url), {
      error: `holds a password, which must not be written in a file or on a command line: put the whole URL in the environment variable [store] url_env names (default ${STORE_URL_ENV}) instead`,
    }),
);

export const storeSchema = once(() =>
  z.strictObject({
    backend: z
      .enum(STORE_BACKENDS)
      .default('libsql')
      .describe(
        'where sessions, notes and kernel state live: libsql (an embedded file in the workspace, no setup) or postgres (a server several processes share)',
      ),
    url_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
      .default(STORE_URL_ENV)
      .describe('environment variable holding the postgres:// URL, password included (postgres backend)'),
    url: postgresUrl()
      .optional()
      .describe(
        'postgres://user@host:5432/database without a password (one with a password is refused: use url_env); beats url_env',
      ),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'use 1-63 characters of a-z, 0-9 and _, not starting with a digit')
      .default('oxydra')
      .describe('PostgreSQL schema holding the tables'),
    max_connections: z
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('most connections each process opens to PostgreSQL'),
    synchronous_commit: z
      .enum(['on', 'off'])
      .default('on')
      .describe(
        'on: the server\'s own synchronous_commit holds (PostgreSQL\'s default: a commit waits for its WAL to reach disk), except for the writes docs/postgres.md lists as relaxed; off: no commit waits (a gateway crash loses nothing, a PostgreSQL server or machine crash may lose the last ~0.6 s of commits, as libSQL with synchronous=NORMAL): docs/postgres.md, "Synchronous commit"',
      ),
  }),
);
