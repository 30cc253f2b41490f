/**
 * Opens Oxydra's stores on a PostgreSQL database: the async contracts of @oxydra/types
 * (sessions, kernel state, notes, the search index, the control store group and the cluster) over one connection pool, in one
 * schema, migrated first unless told not to. Nothing here is loaded on the default libSQL path:
 * a host imports this package only when asked for PostgreSQL.
 */
import type {
  ClusterStore,
  ControlStoreGroup,
  EventBus,
  NoteStore,
  SearchIndexStore,
  SearchModel,
  SessionStore,
  StateStore,
  StoreTransfer,
} from '@oxydra/types';
import { PostgresEventBus } from './bus/bus.js';
import { checkSchemaName, connect, DEFAULT_SCHEMA } from './connection.js';
import { CapsSignal } from './store/caps-signal.js';
import { ClaimedSessions } from './store/claimed-sessions.js';
import { PostgresClusterStore } from './store/cluster.js';
import { postgresControlStores } from './store/control.js';
import { PgDatabase } from './store/database.js';
import { type MigrationReport, migrateSchema, requireCurrent } from './store/migrate.js';
import { PostgresNoteStore } from './store/notes.js';
import { stopRebuilds } from './store/search-index/rebuild.js';
import { PostgresSearchIndex } from './store/search-index/store.js';
import { PostgresSessionStore } from './store/sessions.js';
import { PostgresStateStore } from './store/state.js';
import { postgresTransfer } from './store/transfer.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; the password is never logged or shown. */
  url: string;
  /** The schema holding the tables (default "oxydra"): plain lower-case identifier. */
  schema?: string;
  /**
   * true (the default): bring the schema up to date first. false: only check that it is, and
   * refuse to open one that is behind or ahead.
   */
  migrate?: boolean;
  /** Most connections the pool opens (default 10). */
  maxConnections?: number;
  /**
   * "off": no commit waits for its WAL flush (`synchronous_commit = off` on every connection);
   * a server crash may lose the last ~0.6 s of commits, a gateway crash nothing. Default "on":
   * the server's own setting holds (not forced to "on": a server set to wait for a standby
   * keeps doing so), and only the writes docs/postgres.md lists as relaxed skip the flush.
   */
  synchronousCommit?: 'on' | 'off';
  /**
   * Chunks from which a hybrid search runs its vector and full-text sides on two connections at
   * once instead of one statement (default SIDES_APART_FROM, measured: docs/postgres.md). For
   * the bench and tests comparing the two ways: 0 always apart, Infinity never.
   */
  hybridSidesApartFrom?: number;
}

export interface PostgresStores {
  sessions: SessionStore;
  state: StateStore;
  /** Notes; their search is the search index's (the retriever indexes them as they change). */
  notes: NoteStore;
  /**
   * The search index (chunks of notes and conversations, pgvector HNSW and full text) for an
   * embedding model, as `KernelStores.searchIndex`: `openKernel({ stores: { searchIndex } })`.
   * Its first call for a model creates that model's HNSW index with the model, and rebuilds it
   * in the background when it finds it missing or invalid (a bulk load that died).
   */
  searchIndex(model: SearchModel): SearchIndexStore;
  control: ControlStoreGroup;
  /**
   * The gateway processes sharing this database and the runs each holds (issue 33 item 3):
   * beats, run claims (one per session, the per-user limit across processes), reaping the dead.
   */
  cluster: ClusterStore;
  /** Every record read and written whole, for `oxydra store copy` (not for services). */
  transfer: StoreTransfer;
  schema: string;
  /** `user@host:port/db`: how to name this database to a person (no password). */
  target: string;
  /**
   * Opens the cross-process event bus of this database and schema for the process `processId`
   * (LISTEN/NOTIFY on two connections of its own, not the pool's; it outlives `close()` and is
   * closed by its own). Rejects when the server cannot be reached. While it listens, the spend
   * store tells of cap changes (the notification each sends), and the kernel keeps caps in memory
   * between them.
   */
  openBus(processId: string): Promise<EventBus>;
  /** Applies the migrations this schema lacks (under an advisory lock; safe to call again). */
  migrate(): Promise<MigrationReport>;
  /**
   * Closes the pool, once the search index rebuilds under way are stopped (cancelled: the next
   * open builds them again); the stores must not be used after.
   */
  close(): Promise<void>;
}

export async function openPostgresStores(options: PostgresStoreOptions): Promise<PostgresStores> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA);
  const connection = connect({
    url: options.url,
    schema,
    max: options.maxConnections,
    synchronousCommit: options.synchronousCommit,
  });
  try {
    if (options.migrate === false) await requireCurrent(connection, schema);
    else await migrateSchema(connection, schema);
  } catch (error) {
    await connection.pool.end().catch(() => {});
    throw error;
  }
  // The control group has a database of its own: only its transactions are joined by context.
  const db = new PgDatabase(connection);
  // The spend store tells of cap changes while a bus of this process listens (store/caps-signal.ts).
  const caps = new CapsSignal();
  // A session turn's claim reads the session for the turn's opening of it (one read less).
  const claimed = new ClaimedSessions();
  return {
    sessions: new PostgresSessionStore(db, claimed),
    state: new PostgresStateStore(db),
    notes: new PostgresNoteStore(db),
    searchIndex: (model) => new PostgresSearchIndex(db, model, options.hybridSidesApartFrom),
    control: postgresControlStores(new PgDatabase(connection), schema, caps),
    cluster: new PostgresClusterStore(db, claimed),
    transfer: postgresTransfer(db, `${connection.target} schema ${schema}`),
    schema,
    target: connection.target,
    async openBus(processId) {
      const bus = await PostgresEventBus.open({ url: options.url, schema, processId });
      caps.follow(bus);
      return bus;
    },
    migrate: () => migrateSchema(connection, schema),
    close: async () => {
      await stopRebuilds(db);
      await connection.pool.end();
    },
  };
}
