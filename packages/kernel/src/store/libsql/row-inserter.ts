/**
 * Inserts many rows of one table with few statements: a group commit writes a tick's audit
 * entries and usage rows together (hundreds at 200 agents), and each statement run is a call
 * into the native driver with its own bind and reset. A statement of CHUNK rows cuts that cost
 * by about a quarter per row (measured: 5.2 against 3.8 µs per audit row); rows that do not
 * fill a chunk go one statement each. Both statements are prepared once.
 */
import type { KernelDb } from '../kernel-db.js';

/** Rows per multi-row statement: CHUNK × columns stays far below SQLite's 32,766 parameters. */
const CHUNK = 16;

/** What is used of a prepared statement: its run with any number of values. */
type Statement = { run(...values: unknown[]): unknown };

export class RowInserter {
  readonly #one: Statement;
  readonly #many: Statement;
  readonly #width: number;

  /** `into`: "table (col, col, …)"; `width`: how many columns. */
  constructor(db: KernelDb, into: string, width: number) {
    const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.#width = width;
    this.#one = db.prepare(`INSERT INTO ${into} VALUES ${row}`);
    this.#many = db.prepare(
      `INSERT INTO ${into} VALUES ${Array.from({ length: CHUNK }, () => row).join(', ')}`,
    );
  }

  /** Inserts `rows` (each `width` values, in column order), in order; call inside a transaction. */
  insert(rows: readonly (readonly unknown[])[]): void {
    let at = 0;
    if (rows.length >= CHUNK) {
      const values: unknown[] = new Array(CHUNK * this.#width);
      for (; at + CHUNK <= rows.length; at += CHUNK) {
        for (let r = 0; r < CHUNK; r++) {
          const row = rows[at + r]!;
          for (let c = 0; c < this.#width; c++) values[r * this.#width + c] = row[c];
        }
        this.#many.run(...values);
      }
    }
    for (; at < rows.length; at++) this.#one.run(...rows[at]!);
  }
}
