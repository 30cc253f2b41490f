/**
 * The libSQL StateStore (the embedded default of the contract in @oxydra/types): the kernel's
 * durable named values (`kernel.state`), one JSON value per (category, name) in the
 * kernel_state table, for things that outlive a session (a scheduler's last run, a channel's
 * cursor, a plugin's settings). Every write is one SQL statement, so it is atomic within this
 * process and across processes sharing the file, and `version` never skips or repeats.
 */
import type { Client, Row } from '@libsql/client';
import {
  type LoadedState,
  StateConflictError,
  type StateEntry,
  type StateListOptions,
  type StateSaveOptions,
  type StateStore,
} from '@oxydra/types';
import {
  checkExpectedVersion,
  checkStateName,
  DEFAULT_STATE_LIST_LIMIT,
  encodeStateValue,
  MAX_STATE_LIST_LIMIT,
  prefixEnd,
} from '../../kernel-state-input.js';
import { checkCount, nowIso } from '../../store-input.js';
import { integer, text } from './db.js';

export {
  DEFAULT_STATE_LIST_LIMIT,
  MAX_STATE_LIST_LIMIT,
  MAX_STATE_NAME_CHARS,
  MAX_STATE_VALUE_BYTES,
  MAX_STATE_VALUE_DEPTH,
} from '../../kernel-state-input.js';

export class LibsqlStateStore implements StateStore {
  readonly #db: Client;

  constructor(client: Client) {
    this.#db = client;
  }

  /**
   * Stores `value` (JSON data: null, booleans, strings, finite numbers, plain arrays and
   * objects; at most 1 MiB as JSON) under (category, name), replacing any value there.
   * Returns the new version. Throws MemoryValidationError for a bad name or value, and
   * StateConflictError when `expectedVersion` is given and does not match.
   */
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
    const result = await this.#db.execute(
      expected === undefined
        ? {
            sql: `INSERT INTO kernel_state (category, name, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
                  ON CONFLICT (category, name) DO UPDATE SET
                    value = excluded.value, version = version + 1, updated_at = excluded.updated_at
                  RETURNING version`,
            args: [category, name, json, now],
          }
        : expected === 0
          ? {
              sql: `INSERT INTO kernel_state (category, name, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
                    ON CONFLICT (category, name) DO NOTHING
                    RETURNING version`,
              args: [category, name, json, now],
            }
          : {
              sql: `UPDATE kernel_state SET value = ?, version = version + 1, updated_at = ?
                    WHERE category = ? AND name = ? AND version = ?
                    RETURNING version`,
              args: [json, now, category, name, expected],
            },
    );
    const row = result.rows[0];
    if (row) return { version: integer(row, 'version') };
    // Only a compare-and-set can write nothing. The version read here is for the message:
    // it may have moved on again by now.
    const current = await this.#version(category, name);
    throw new StateConflictError(category, name, expected ?? 0, current);
  }

  /** The value under (category, name), or undefined if there is none. */
  async load<T = unknown>(category: string, name: string): Promise<LoadedState<T> | undefined> {
    checkStateName('category', category);
    checkStateName('name', name);
    const result = await this.#db.execute({
      sql: 'SELECT value, version, updated_at FROM kernel_state WHERE category = ? AND name = ?',
      args: [category, name],
    });
    const row = result.rows[0];
    if (!row) return undefined;
    return {
      value: JSON.parse(text(row, 'value')) as T,
      version: integer(row, 'version'),
      updatedAt: text(row, 'updated_at'),
    };
  }

  /** Removes the value; true if there was one. */
  async delete(category: string, name: string): Promise<boolean> {
    checkStateName('category', category);
    checkStateName('name', name);
    const result = await this.#db.execute({
      sql: 'DELETE FROM kernel_state WHERE category = ? AND name = ?',
      args: [category, name],
    });
    return result.rowsAffected > 0;
  }

  /** The names in `category` (without values), in name order (bytewise). */
  async list(category: string, options: StateListOptions = {}): Promise<StateEntry[]> {
    checkStateName('category', category);
    const prefix = checkStateName('prefix', options.prefix ?? '');
    const limit = checkCount('limit', options.limit, DEFAULT_STATE_LIST_LIMIT, MAX_STATE_LIST_LIMIT);
    // A range rather than LIKE: `_` is a LIKE wildcard and a name character, and the range uses the key.
    const result = await this.#db.execute({
      sql: `SELECT name, version, updated_at FROM kernel_state
            WHERE category = ? AND name >= ? AND name < ?
            ORDER BY name LIMIT ?`,
      args: [category, prefix, prefixEnd(prefix), limit],
    });
    return result.rows.map((row: Row) => ({
      name: text(row, 'name'),
      version: integer(row, 'version'),
      updatedAt: text(row, 'updated_at'),
    }));
  }

  async #version(category: string, name: string): Promise<number> {
    const result = await this.#db.execute({
      sql: 'SELECT version FROM kernel_state WHERE category = ? AND name = ?',
      args: [category, name],
    });
    const row = result.rows[0];
    return row ? integer(row, 'version') : 0;
  }
}
