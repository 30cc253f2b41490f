/**
 * The connection pool and what is said about it. A store URL may hold a password
 * (`postgres://user:secret@host/db`): it goes to the driver and nowhere else. Errors and logs
 * name the server as `user@host:port/db` (describeTarget), never the URL as given, and a
 * connection error's reason is scrubbed of the password as well, in case a driver message ever
 * repeats it.
 */
import { OxydraError, urlPassword } from '@oxydra/types';
import pg from 'pg';
import { corkEachSection } from './corked-writes.js';

/** A schema name: a plain lower-case identifier, so it needs no quoting anywhere. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
export const DEFAULT_SCHEMA = 'oxydra';
/**
 * hnsw.ef_search of every connection (pgvector's default is 40): bench/pg-search.mjs measures its
 * recall. A filtered search uses search-index/filtered-scan.ts's instead.
 */
const HNSW_EF_SEARCH = 200;

export function checkSchemaName(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new OxydraError(
      'config_error',
      `PostgreSQL schema name ${JSON.stringify(String(schema).slice(0, 70))} is not a plain identifier: use 1-63 characters of a-z, 0-9 and _, not starting with a digit`,
    );
  }
  return schema;
}

/**
 * The store takes a postgres:// URL only. A libpq keyword string (`host=db password=secret`) is
 * refused before the driver sees it (it would read it as a host name and fail later, naming a
 * host it made up), and never repeated: it may hold the password.
 */
function checkStoreUrl(url: string): string {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url.trim())) {
    throw new OxydraError(
      'config_error',
      'the PostgreSQL store takes a postgres:// URL, and this is not one (a keyword string such as host=… password=… is not taken)',
      { hint: 'write it as postgres://user:password@host:5432/database' },
    );
  }
  return url;
}

/** What a store URL names, without its password: `user@host:port/db`. */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return 'the PostgreSQL server';
    const user = decodeURIComponent(parsed.username) || 'the default user';
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `${user}@${host}:${parsed.port || '5432'}/${db}`;
  } catch {
    return 'the PostgreSQL server (its URL does not parse)';
  }
}

/** `text` (a driver's message) on one line, with the URL's password, if any, replaced by ***. */
export function scrubbed(url: string, text: string): string {
  const password = urlPassword(url);
  const line = text.split('\n')[0] ?? '';
  return password === undefined ? line : line.split(password).join('***');
}

/** The server could not be reached, refused the login, or has no such database. */
export class PostgresConnectionError extends OxydraError {
  /** The driver's code (ECONNREFUSED, or SQLSTATE such as 28P01 or 3D000), when it gave one. */
  readonly reason?: string;
  constructor(target: string, why: string, reason?: string) {
    super('config_error', `cannot use PostgreSQL at ${target}: ${why}`, {
      hint: 'check the store URL (host, port, database, user and the password in its environment variable) and that the server is running',
    });
    if (reason !== undefined) this.reason = reason;
  }
}

/** Codes that mean "this server, database or login cannot be used", not "this query failed". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '28000', // invalid authorization
  '28P01', // invalid password
  '3D000', // no such database
  '53300', // too many connections
  '57P01', // admin shutdown
  '57P03', // cannot connect now (starting up)
]);

function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && /^Connection terminated|timeout expired/.test(e.message);
}

export interface Connection {
  pool: pg.Pool;
  /** `user@host:port/db`: how errors and logs name the server. */
  target: string;
  /** A connection error as a PostgresConnectionError (one line, no password); others unchanged. */
  explain(error: unknown): unknown;
}

/** pg gives bigint (int8) and numeric as strings; the stores' numbers are all within 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function connect(options: {
  url: string;
  schema: string;
  max?: number;
  synchronousCommit?: 'on' | 'off' | undefined;
}): Connection {
  const target = describeTarget(checkStoreUrl(options.url));
  const pool = new pg.Pool({
    connectionString: options.url,
    // Every connection resolves the stores' tables in the chosen schema. The search index's
    // HNSW scans (pgvector; placeholders until its library loads): 200 candidates per scan, and
    // a filtered scan keeps going until it fills its limit (pgvector >= 0.8), relaxed_order: a
    // later batch's nearer candidates are kept, not dropped as strict_order drops them (the store
    // orders the candidates by full-precision distance itself). With 1% of the chunks passing
    // the filter, recall@10 0.96 against 0.90 (docs/postgres.md, "The search index").
    // Set here, not per search: an unfiltered search is one statement, no transaction. A search
    // whose scope filters raises ef_search in its own transaction (filtered-scan.ts).
    // `[store] synchronous_commit = "off"` (docs/postgres.md, "Synchronous commit"): no commit of
    // this pool waits for the WAL flush; a relaxed write's SET LOCAL then changes nothing.
    options: `-c search_path=${checkSchemaName(options.schema)} -c hnsw.ef_search=${HNSW_EF_SEARCH} -c hnsw.iterative_scan=relaxed_order${options.synchronousCommit === 'off' ? ' -c synchronous_commit=off' : ''}`,
    // Pipeline mode: a query is written as soon as it is made, not after the answer to the one
    // before; database.ts sends a transaction's BEGIN, SAVEPOINT and RELEASE with the
    // statements around them instead of waiting a round trip for each (docs/postgres.md, "Warm
    // turn latency"). Each query still has its own Sync: a failed one fails alone, as before.
    pipeline: true,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    types,
  });
  // An idle connection the server closed emits 'error' on the pool; unhandled, it would end the
  // process. The next query opens a new connection and reports any lasting problem itself.
  pool.on('error', () => {});
  // What a caller sends before it awaits goes out in one write (corked-writes.ts).
  pool.on('connect', corkEachSection);
  const explain = (error: unknown): unknown => {
    if (!isConnectionError(error)) return error;
    const e = error as { code?: string; message?: string };
    return new PostgresConnectionError(target, scrubbed(options.url, String(e.message ?? error)), e.code);
  };
  return { pool, target, explain };
}
