/**
 * The PostgreSQL StateStore (`kernel.state`): one JSON value per (category, name) with a version
 * for compare-and-set. Every write is one statement (an upsert, a conditional insert or a
 * conditional update), so the database decides which of two racing writers wins.
 */
import {
  checkCount,
  checkExpectedVersion,
  checkStateName,
  DEFAULT_STATE_LIST_LIMIT,
  encodeStateValue,
  MAX_STATE_LIST_LIMIT,
  nowIso,
  prefixEnd,
} from '@oxydra/memory/store-input';
import {
  type LoadedState,
  StateConflictError,
  type StateEntry,
  type StateListOptions,
  type StateSaveOptions,
  type StateStore,
} from '@oxydra/types';
import type { PgDatabase } from './database.js';

export class PostgresStateStore implements StateStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async save(
    category: string,
    name: string,
    value: unknown,
    options: StateSaveOptions = {},
  ): Promise<{ version: number }> {
    checkStateName('category', category);
    checkStateName('name', name);
    const expected = checkExpectedVersion(options.expectedVersion);
    const json = encodeStateValue(value);
    const now = nowIso();
    const result = await this.#db.run((sql) =>
      expected === undefined
        ? sql.query<{ version: number }>(
            `INSERT INTO kernel_state (category, name, value, version, updated_at) VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (category, name) DO UPDATE SET
               value = excluded.value, version = kernel_state.version + 1, updated_at = excluded.updated_at
             RETURNING version`,
            [category, name, json, now],
          )
        : expected === 0
          ? sql.query<{ version: number }>(
              `INSERT INTO kernel_state (category, name, value, version, updated_at) VALUES ($1, $2, $3, 1, $4)
               ON CONFLICT (category, name) DO NOTHING RETURNING version`,
              [category, name, json, now],
            )
          : sql.query<{ version: number }>(
              `UPDATE kernel_state SET value = $1, version = version + 1, updated_at = $2
               WHERE category = $3 AND name = $4 AND version = $5 RETURNING version`,
              [json, now, category, name, expected],
            ),
    );
    const row = result.rows[0];
    if (row) return { version: row.version };
    // Only a compare-and-set writes nothing. The version read here is for the message only.
    const current = await this.#db.run((sql) =>
      sql.query<{ version: number }>('SELECT version FROM kernel_state WHERE category = $1 AND name = $2', [
        category,
        name,
      ]),
    );
    throw new StateConflictError(category, name, expected ?? 0, current.rows[0]?.version ?? 0);
  }

  async load<T = unknown>(category: string, name: string): Promise<LoadedState<T> | undefined> {
    checkStateName('category', category);
    checkStateName('name', name);
    const result = await this.#db.run((sql) =>
      sql.query<{ value: string; version: number; updated_at: string }>(
        'SELECT value, version, updated_at FROM kernel_state WHERE category = $1 AND name = $2',
        [category, name],
      ),
    );
    const row = result.rows[0];
    if (!row) return undefined;
    return { value: JSON.parse(row.value) as T, version: row.version, updatedAt: row.updated_at };
  }

  async delete(category: string, name: string): Promise<boolean> {
    checkStateName('category', category);
    checkStateName('name', name);
    const result = await this.#db.run((sql) =>
      sql.query('DELETE FROM kernel_state WHERE category = $1 AND name = $2', [category, name]),
    );
    return (result.rowCount ?? 0) > 0;
  }

  async list(category: string, options: StateListOptions = {}): Promise<StateEntry[]> {
    checkStateName('category', category);
    const prefix = checkStateName('prefix', options.prefix ?? '');
    const limit = checkCount('limit', options.limit, DEFAULT_STATE_LIST_LIMIT, MAX_STATE_LIST_LIMIT);
    // A range rather than LIKE: `_` is a LIKE wildcard and a name character, and the range uses the key.
    const result = await this.#db.run((sql) =>
      sql.query<{ name: string; version: number; updated_at: string }>(
        `SELECT name, version, updated_at FROM kernel_state
         WHERE category = $1 AND name >= $2 AND name < $3 ORDER BY name LIMIT $4`,
        [category, prefix, prefixEnd(prefix), limit],
      ),
    );
    return result.rows.map((row) => ({ name: row.name, version: row.version, updatedAt: row.updated_at }));
  }
}
