/**
 * The kernel's durable named values (`kernel.state`) as a store contract: one JSON value per
 * (category, name) with a version for compare-and-set. The libSQL file is the embedded default
 * (@oxydra/memory); another backend (PostgreSQL, issue 33) implements the same interface and
 * passes the same contract suite (@oxydra/testkit/store-contracts). Every method is one atomic
 * unit, also across processes sharing the store.
 */
import { OxydraError } from '../errors.js';

export interface StateSaveOptions {
  /**
   * Compare-and-set: write only if the stored version is this one (0: only if there is no value
   * yet); otherwise reject with StateConflictError. Omitted: write whatever is there.
   */
  expectedVersion?: number;
}

export interface LoadedState<T = unknown> {
  value: T;
  /** 1 after the first write, +1 per write; a deleted then re-saved value starts again at 1. */
  version: number;
  /** ISO 8601 UTC time of the last write (made by the store). */
  updatedAt: string;
}

export interface StateEntry {
  name: string;
  version: number;
  updatedAt: string;
}

export interface StateListOptions {
  /** Only names starting with this (same alphabet as names; may be empty). */
  prefix?: string;
  /** At most this many entries; default 1000, up to 10,000. */
  limit?: number;
}

/**
 * Categories and names are 1-128 characters of letters, digits and `. _ : / -`; values are JSON
 * data (null, booleans, strings, finite numbers, plain arrays and objects) of at most 1 MiB as
 * JSON. Anything else is refused (rejected promise), never stored changed.
 */
export interface StateStore {
  /** Stores `value` under (category, name); resolves to the new version. */
  save(
    category: string,
    name: string,
    value: unknown,
    options?: StateSaveOptions,
  ): Promise<{ version: number }>;
  /** The value under (category, name), or undefined if there is none. */
  load<T = unknown>(category: string, name: string): Promise<LoadedState<T> | undefined>;
  /** Removes the value; true if there was one. */
  delete(category: string, name: string): Promise<boolean>;
  /** The names in `category` (without values), in bytewise name order. */
  list(category: string, options?: StateListOptions): Promise<StateEntry[]>;
}

/**
 * A compare-and-set write of state lost: the value was written (or deleted) since the caller
 * read it. The caller re-reads and decides again rather than overwrite newer work.
 */
export class StateConflictError extends OxydraError {
  readonly category: string;
  /** The state's name (not `name`, which every Error has). */
  readonly stateName: string;
  /** The version the caller expected; 0: that no value existed. */
  readonly expectedVersion: number;
  /** The version found when the write failed; 0: no value. */
  readonly actualVersion: number;
  constructor(category: string, name: string, expectedVersion: number, actualVersion: number) {
    const expected = expectedVersion === 0 ? 'no value' : `version ${expectedVersion}`;
    const actual = actualVersion === 0 ? 'there is no value' : `it is at version ${actualVersion}`;
    super('usage_error', `state ${category}/${name} changed: expected ${expected}, but ${actual}`, {
      hint: 'load it again and retry with the version you read',
    });
    this.category = category;
    this.stateName = name;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
