/**
 * The kernel database's schema, one SQL script per version (PRAGMA user_version counts them).
 * Append new steps; never edit a released one.
 */
export const KERNEL_MIGRATIONS: readonly string[] = [
  // 1: the audit chain. `action` is the canonical JSON of {type, data}, exactly as hashed.
  `CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     ts TEXT NOT NULL,
     actor TEXT NOT NULL,
     action_type TEXT NOT NULL,
     action TEXT NOT NULL,
     resource TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE INDEX audit_log_type ON audit_log (action_type, seq);
   CREATE INDEX audit_log_actor ON audit_log (actor, seq);
   CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: spending. Spend per scope ("user:alice", "agent:researcher") and period ("day:2026-11-22",
  // "month:2026-11", "window:3600:493912"); open reservations count against caps until settled
  // or expired (a process that died holding one); caps set with `oxydra budget set`.
  `CREATE TABLE budget_spend (
     scope TEXT NOT NULL,
     period TEXT NOT NULL,
     usd REAL NOT NULL DEFAULT 0,
     tokens INTEGER NOT NULL DEFAULT 0,
     calls INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (scope, period)
   );
   CREATE TABLE budget_reservations (
     id TEXT NOT NULL,
     scope TEXT NOT NULL,
     period TEXT NOT NULL,
     usd REAL NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (id, scope, period)
   );
   CREATE INDEX budget_reservations_scope ON budget_reservations (scope, period);
   CREATE TABLE budget_limits (
     scope TEXT NOT NULL,
     key TEXT NOT NULL,
     value REAL NOT NULL,
     PRIMARY KEY (scope, key)
   );`,
  // 3: gateway tokens bound to a user and a role; only each token's SHA-256 is stored.
  `CREATE TABLE gateway_tokens (
     id TEXT PRIMARY KEY,
     digest TEXT NOT NULL UNIQUE,
     user_id TEXT NOT NULL,
     role TEXT NOT NULL,
     label TEXT NOT NULL DEFAULT '',
     created_at TEXT NOT NULL,
     revoked_at TEXT
   );`,
  // 4: the queue of admin operations that wait for a second person (Oxios's HitL approvals):
  // raising or removing a spending cap and making an admin token over the gateway. A token
  // requested that way is stored at once (its secret returned to the requester) but stays
  // pending, unusable, until approved.
  `ALTER TABLE gateway_tokens ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE admin_approvals (
     id TEXT PRIMARY KEY,
     op TEXT NOT NULL,
     params TEXT NOT NULL,
     requested_by TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     status TEXT NOT NULL,
     decided_by TEXT,
     decided_at TEXT,
     reason TEXT
   );
   CREATE INDEX admin_approvals_status ON admin_approvals (status, requested_at);`,
  // 5: the scheduler. A schedule fires when next_run_at (ms) has passed; claiming a run moves
  // next_run_at on and inserts the run in one write transaction, so two processes on one
  // database never start the same run (the unique index says so a second time). A running run
  // holds a lease its process renews; one whose lease ran out was interrupted (its process died).
  `CREATE TABLE schedules (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     name TEXT NOT NULL,
     agent TEXT,
     prompt TEXT NOT NULL,
     kind TEXT NOT NULL,
     spec TEXT NOT NULL,
     timezone TEXT NOT NULL,
     enabled INTEGER NOT NULL DEFAULT 1,
     next_run_at INTEGER,
     anchor_at INTEGER NOT NULL,
     consecutive_failures INTEGER NOT NULL DEFAULT 0,
     disabled_reason TEXT,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (user_id, name)
   );
   CREATE INDEX schedules_due ON schedules (enabled, next_run_at);
   CREATE TABLE schedule_runs (
     id TEXT PRIMARY KEY,
     schedule_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     due_at INTEGER NOT NULL,
     trigger TEXT NOT NULL,
     missed INTEGER NOT NULL DEFAULT 0,
     status TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     lease_owner TEXT NOT NULL,
     lease_until INTEGER NOT NULL,
     agent_id TEXT,
     session_id TEXT,
     output TEXT,
     error TEXT,
     turns INTEGER,
     input_tokens INTEGER,
     output_tokens INTEGER,
     cost_usd REAL
   );
   CREATE UNIQUE INDEX schedule_runs_once ON schedule_runs (schedule_id, due_at) WHERE trigger != 'manual';
   CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, started_at);
   CREATE INDEX schedule_runs_running ON schedule_runs (status, lease_until);`,
  // 6: the usage log, one row per priced call (an agent's model call, a rolling summary, a
  // remote A2A agent's reported cost, a remote embedding request), for `oxydra costs` by day,
  // agent, model, user or session. ts is ms since the epoch; cost_usd is NULL when the model's
  // price is unknown. Pruned by age and count ([budgets] usage_log_days, usage_log_max_rows).
  `CREATE TABLE usage_log (
     id INTEGER PRIMARY KEY,
     ts INTEGER NOT NULL,
     kind TEXT NOT NULL,
     agent_id TEXT,
     agent_name TEXT,
     user_id TEXT NOT NULL,
     session_id TEXT,
     provider TEXT,
     model TEXT,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cache_read_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL
   );
   CREATE INDEX usage_log_ts ON usage_log (ts);`,
  // 7: the gateway token a schedule runs under: the one that made it (or last resumed it), so
  // revoking that token pauses it; NULL when made at the terminal, by the owner's token or an
  // agent. Schedules made before are bound to their maker when it was a stored token.
  `ALTER TABLE schedules ADD COLUMN run_token TEXT;
   UPDATE schedules SET run_token = substr(created_by, 7)
     WHERE created_by LIKE 'token:%' AND substr(created_by, 7) IN (SELECT id FROM gateway_tokens);`,
  // 8: spec schedules (docs/spec-runs.md): a schedule's goal, constraints and acceptance
  // criteria as JSON (NULL: plain runs), and a run's spec outcome (passed, per-criterion results).
  `ALTER TABLE schedules ADD COLUMN directive TEXT;
   ALTER TABLE schedule_runs ADD COLUMN spec_outcome TEXT;`,
];
