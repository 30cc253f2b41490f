/**
 * A local libSQL client whose file is opened, or created and migrated, at its first statement
 * (see deferred-memory.ts, its one user).
 */

import { openDatabase } from '../libsql/db.js';
import { migrate } from '../libsql/migrate.js';
import type {
  BatchStatement,
  Client,
  InArgs,
  InStatement,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from './client-types.js';

export interface DeferredClientOptions {
  /** The database file (a local path: a remote database is the server's to create). */
  path: string;
  /** Runs right before the file is opened or created (the kernel claims the workspace state there); true: it made the file. */
  beforeCreate?: () => unknown;
}

/** Opens the real client at the first call that needs it; see the file comment. */
export class DeferredClient implements Client {
  readonly #options: DeferredClientOptions;
  #opening: Promise<Client> | undefined;
  #client: Client | undefined;
  #closed = false;

  constructor(options: DeferredClientOptions) {
    this.#options = options;
  }

  get created(): boolean {
    return this.#client !== undefined;
  }

  #open(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('the memory database is closed'));
    this.#opening ??= (async () => {
      const { path, beforeCreate } = this.#options;
      const made = beforeCreate?.() === true;
      const client = await openDatabase({ path }, made);
      try {
        await migrate(client, { label: path });
        // A file just made was migrated without fsyncs (openDatabase); from here on, as any.
        if (made) await client.execute('PRAGMA synchronous=NORMAL');
      } catch (error) {
        client.close();
        throw error;
      }
      if (this.#closed) client.close();
      else this.#client = client;
      return client;
    })();
    // A failed creation (a full disk) is tried again by the next statement, not remembered.
    this.#opening.catch(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const client = await this.#open();
    return typeof stmtOrSql === 'string' ? client.execute(stmtOrSql, args) : client.execute(stmtOrSql);
  }
  async batch(stmts: BatchStatement[], mode?: TransactionMode): Promise<ResultSet[]> {
    return (await this.#open()).batch(stmts, mode);
  }
  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return (await this.#open()).migrate(stmts);
  }
  async transaction(mode?: TransactionMode): Promise<Transaction> {
    return (await this.#open()).transaction(mode);
  }
  async executeMultiple(sql: string): Promise<void> {
    return (await this.#open()).executeMultiple(sql);
  }
  async sync(): Promise<Replicated> {
    return (await this.#open()).sync();
  }
  /** Never creates the file: closing a database nothing used leaves the workspace without one. */
  close(): void {
    this.#closed = true;
    this.#client?.close();
  }
  reconnect(): void {
    this.#client?.reconnect();
  }
  get closed(): boolean {
    return this.#closed;
  }
  get protocol(): string {
    return 'file';
  }
}
