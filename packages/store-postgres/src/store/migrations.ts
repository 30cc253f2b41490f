/**
 * The PostgreSQL schema as versioned migrations: each runs once, in order, in its own
 * transaction (migrate.ts), and is recorded in schema_migrations. Never edit a released one:
 * append a new version. The tables follow the libSQL stores' (packages/memory/src/migrations/,
 * packages/kernel/src/store/kernel-schema.ts) with PostgreSQL's types, and every text column
 * compares bytewise (COLLATE "C"), as SQLite's do: names, scopes and ISO times sort the same on
 * both backends whatever the database's locale.
 */

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
  /** A known failure of this migration as a one-line error naming the fix (else undefined). */
  explain?(error: unknown, target: string): Error | undefined;
}

import { searchIndexMigration } from './search-index/migration.js';
import { chunkTaintMigration } from './search-index/taint-migration.js';

/** Text compared bytewise. */
const TEXT = 'text COLLATE "C"';

export const MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'sessions',
    // generation: the row's identity for SessionStamp (never reused, unlike SQLite's rowid);
    // last_seq, last_turn, last_at: where the log stands, kept with the row the append locks.
    sql: `
      CREATE TABLE sessions (
        id ${TEXT} PRIMARY KEY,
        generation bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        title ${TEXT},
        user_id ${TEXT},
        agent ${TEXT},
        parent_session_id ${TEXT} REFERENCES sessions (id) ON DELETE SET NULL,
        channel_origin ${TEXT},
        created_at ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL,
        archived_at ${TEXT},
        last_seq integer NOT NULL DEFAULT 0,
        last_turn integer NOT NULL DEFAULT 0,
        last_at ${TEXT} NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_activity ON sessions (updated_at DESC, generation DESC);
      CREATE INDEX sessions_user ON sessions (user_id, updated_at DESC);
      CREATE INDEX sessions_parent ON sessions (parent_session_id);
      CREATE TABLE conversation_events (
        session_id ${TEXT} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        turn integer NOT NULL,
        role ${TEXT} NOT NULL,
        payload ${TEXT} NOT NULL,
        created_at ${TEXT} NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
      CREATE TABLE session_state (
        session_id ${TEXT} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        key ${TEXT} NOT NULL,
        value ${TEXT} NOT NULL,
        epoch integer NOT NULL,
        updated_at ${TEXT} NOT NULL,
        PRIMARY KEY (session_id, key)
      );`,
  },
  {
    version: 2,
    name: 'notes',
    sql: `
      CREATE TABLE notes (
        id ${TEXT} PRIMARY KEY,
        row_id bigint GENERATED ALWAYS AS IDENTITY,
        user_id ${TEXT},
        content ${TEXT} NOT NULL,
        tags text[] COLLATE "C" NOT NULL DEFAULT '{}',
        created_at ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL
      );
      CREATE INDEX notes_changed ON notes (updated_at DESC, row_id DESC);
      CREATE INDEX notes_user ON notes (user_id, updated_at DESC);
      CREATE INDEX notes_tags ON notes USING gin (tags);`,
  },
  {
    version: 3,
    name: 'kernel_state',
    sql: `
      CREATE TABLE kernel_state (
        category ${TEXT} NOT NULL,
        name ${TEXT} NOT NULL,
        value ${TEXT} NOT NULL,
        version integer NOT NULL,
        updated_at ${TEXT} NOT NULL,
        PRIMARY KEY (category, name)
      );`,
  },
  {
    version: 4,
    name: 'control',
    // audit_head: one row, the chain's newest entry (seq 0: none yet); an append locks it FOR
    // UPDATE, so two processes extend one chain. It stays when pruning removes the entries.
    sql: `
      CREATE TABLE gateway_tokens (
        id ${TEXT} PRIMARY KEY,
        row_id bigint GENERATED ALWAYS AS IDENTITY,
        digest ${TEXT} NOT NULL UNIQUE,
        user_id ${TEXT} NOT NULL,
        role ${TEXT} NOT NULL,
        label ${TEXT} NOT NULL DEFAULT '',
        created_at ${TEXT} NOT NULL,
        revoked_at ${TEXT},
        pending boolean NOT NULL DEFAULT false
      );
      CREATE INDEX gateway_tokens_user ON gateway_tokens (user_id);
      CREATE TABLE admin_approvals (
        id ${TEXT} PRIMARY KEY,
        row_id bigint GENERATED ALWAYS AS IDENTITY,
        op ${TEXT} NOT NULL,
        params ${TEXT} NOT NULL,
        requested_by ${TEXT} NOT NULL,
        requested_at ${TEXT} NOT NULL,
        expires_at ${TEXT} NOT NULL,
        status ${TEXT} NOT NULL,
        decided_by ${TEXT},
        decided_at ${TEXT},
        reason ${TEXT}
      );
      CREATE INDEX admin_approvals_status ON admin_approvals (status, requested_at);
      CREATE TABLE schedules (
        id ${TEXT} PRIMARY KEY,
        row_id bigint GENERATED ALWAYS AS IDENTITY,
        user_id ${TEXT} NOT NULL,
        name ${TEXT} NOT NULL,
        agent ${TEXT},
        prompt ${TEXT} NOT NULL,
        kind ${TEXT} NOT NULL,
        spec ${TEXT} NOT NULL,
        timezone ${TEXT} NOT NULL,
        enabled boolean NOT NULL,
        next_run_at bigint,
        anchor_at bigint NOT NULL,
        consecutive_failures integer NOT NULL,
        disabled_reason ${TEXT},
        run_token ${TEXT},
        created_by ${TEXT} NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        UNIQUE (user_id, name)
      );
      CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;
      CREATE TABLE schedule_runs (
        id ${TEXT} PRIMARY KEY,
        row_id bigint GENERATED ALWAYS AS IDENTITY,
        schedule_id ${TEXT} NOT NULL,
        user_id ${TEXT} NOT NULL,
        due_at bigint NOT NULL,
        "trigger" ${TEXT} NOT NULL,
        missed integer NOT NULL,
        status ${TEXT} NOT NULL,
        started_at bigint NOT NULL,
        finished_at bigint,
        lease_owner ${TEXT} NOT NULL,
        lease_until bigint NOT NULL,
        agent_id ${TEXT},
        session_id ${TEXT},
        output ${TEXT},
        error ${TEXT},
        turns integer,
        input_tokens bigint,
        output_tokens bigint,
        cost_usd double precision
      );
      CREATE UNIQUE INDEX schedule_runs_once ON schedule_runs (schedule_id, due_at) WHERE "trigger" <> 'manual';
      CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, started_at);
      CREATE INDEX schedule_runs_running ON schedule_runs (lease_owner) WHERE status = 'running';
      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY,
        ts ${TEXT} NOT NULL,
        actor ${TEXT} NOT NULL,
        action_type ${TEXT} NOT NULL,
        action ${TEXT} NOT NULL,
        resource ${TEXT} NOT NULL,
        prev_hash ${TEXT} NOT NULL,
        hash ${TEXT} NOT NULL
      );
      CREATE INDEX audit_log_type ON audit_log (action_type, seq);
      CREATE INDEX audit_log_actor ON audit_log (actor, seq);
      CREATE TABLE audit_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL,
        hash ${TEXT} NOT NULL
      );
      INSERT INTO audit_head (seq, hash) VALUES (0, 'genesis');
      CREATE TABLE audit_meta (key ${TEXT} PRIMARY KEY, value ${TEXT} NOT NULL);
      CREATE TABLE budget_spend (
        scope ${TEXT} NOT NULL,
        period ${TEXT} NOT NULL,
        usd double precision NOT NULL DEFAULT 0,
        tokens bigint NOT NULL DEFAULT 0,
        calls bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, period)
      );
      CREATE TABLE budget_reservations (
        id ${TEXT} NOT NULL,
        scope ${TEXT} NOT NULL,
        period ${TEXT} NOT NULL,
        usd double precision NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (id, scope, period)
      );
      CREATE INDEX budget_reservations_scope ON budget_reservations (scope, period);
      CREATE TABLE budget_limits (
        scope ${TEXT} NOT NULL,
        key ${TEXT} NOT NULL,
        value double precision NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE TABLE usage_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ts bigint NOT NULL,
        kind ${TEXT} NOT NULL,
        agent_id ${TEXT},
        agent_name ${TEXT},
        user_id ${TEXT} NOT NULL,
        session_id ${TEXT},
        provider ${TEXT},
        model ${TEXT},
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        cache_read_tokens bigint NOT NULL DEFAULT 0,
        cost_usd double precision
      );
      CREATE INDEX usage_log_ts ON usage_log (ts);`,
  },
  searchIndexMigration(5, TEXT),
  {
    version: 6,
    name: 'cluster',
    // Several gateway processes on one database (ClusterStore, cluster.ts). Times are the
    // database's clock (now()), so processes on machines with skewed clocks agree on who is
    // stale. A run belongs to a live process: removing the process removes its runs. At most one
    // run per session (the partial unique index); row_id orders runs claimed in one instant.
    sql: `
      CREATE TABLE cluster_processes (
        id ${TEXT} PRIMARY KEY,
        host ${TEXT} NOT NULL,
        pid integer NOT NULL,
        url ${TEXT},
        started_at timestamptz NOT NULL DEFAULT now(),
        beat_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX cluster_processes_beat ON cluster_processes (beat_at);
      CREATE TABLE cluster_runs (
        run_id ${TEXT} PRIMARY KEY,
        row_id bigint GENERATED ALWAYS AS IDENTITY,
        process_id ${TEXT} NOT NULL REFERENCES cluster_processes (id) ON DELETE CASCADE,
        user_id ${TEXT} NOT NULL,
        session_id ${TEXT},
        turn_id ${TEXT},
        started_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX cluster_runs_session ON cluster_runs (session_id) WHERE session_id IS NOT NULL;
      CREATE INDEX cluster_runs_user ON cluster_runs (user_id);
      CREATE INDEX cluster_runs_process ON cluster_runs (process_id);
      CREATE INDEX cluster_runs_started ON cluster_runs (started_at, row_id);`,
  },
  {
    version: 7,
    name: 'cluster run holders',
    // Every door claims its runs (the kernel's Admission), and a run of a token that acts for
    // no user (an owner or admin token over A2A or MCP) is held by that token: its own column,
    // so no user id can stand for a token. Exactly one of the two is set.
    sql: `
      ALTER TABLE cluster_runs ALTER COLUMN user_id DROP NOT NULL;
      ALTER TABLE cluster_runs ADD COLUMN token_id ${TEXT};
      ALTER TABLE cluster_runs ADD CONSTRAINT cluster_runs_one_holder
        CHECK ((user_id IS NULL) <> (token_id IS NULL));
      CREATE INDEX cluster_runs_token ON cluster_runs (token_id) WHERE token_id IS NOT NULL;`,
  },
  {
    version: 8,
    name: 'spec schedules',
    // As the kernel database's step 8: a schedule's spec (JSON; NULL: plain runs) and a run's
    // spec outcome (passed, per-criterion results).
    sql: `
      ALTER TABLE schedules ADD COLUMN directive ${TEXT};
      ALTER TABLE schedule_runs ADD COLUMN spec_outcome ${TEXT};`,
  },
  {
    version: 9,
    name: 'cluster process kinds',
    // `oxydra scheduler run` and `oxydra mcp serve` are members too (their runs claim slots, their
    // claims are reaped when they die): what each process serves, for `oxydra doctor` and for the
    // gateways, which ask only each other about the sessions they have clients of. Rows of an
    // earlier version were all gateways.
    sql: `
      ALTER TABLE cluster_processes ADD COLUMN kind ${TEXT} NOT NULL DEFAULT 'gateway';`,
  },
  {
    version: 10,
    name: 'search full-text pending list',
    // A GIN index queues new rows' words in a pending list that every full-text search reads
    // whole, until a vacuum, an analyze or a full list (gin_pending_list_limit, 4 MB by default:
    // ~5,000 chunks) moves them into the tree. Measured at 100,000 chunks (docs/postgres.md, "The
    // search index"), a full list doubled the full-text side's p50; at 256 kB (~300 chunks) it
    // costs searches nothing measurable and inserts ~2% more, where no list at all
    // (fastupdate off) cost inserts ~35%.
    sql: `
      ALTER INDEX search_chunks_text SET (gin_pending_list_limit = 256);`,
  },
  chunkTaintMigration(11, TEXT),
];
