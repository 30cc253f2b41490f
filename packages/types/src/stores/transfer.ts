/**
 * Moving a workspace's records between backends (`oxydra store copy`, issue 33): what the store
 * contracts cannot do. They make ids, times and sequence numbers themselves and enumerate only
 * what a service asks for, so a copy reads and writes whole records through this separate,
 * small interface instead, implemented by each backend beside its stores (libSQL: the memory
 * file and the kernel database; PostgreSQL: one schema). Records are the tables' rows in one
 * neutral shape (`TRANSFER_TABLES`), read in a stable order and written exactly as read: ids,
 * times, seqs, epochs, versions and the audit chain's hashes are kept. What a backend derives
 * (a session's position in PostgreSQL, the audit head row) it brings up to date in the same write.
 */

/** A field's type on every backend (`tags`: a list of strings; `boolean`: SQLite keeps 0/1). */
export type TransferFieldType = 'text' | 'integer' | 'real' | 'boolean' | 'tags';

export type TransferValue = string | number | boolean | null | string[];

/** One row, by field name. */
export type TransferRecord = Record<string, TransferValue>;

export interface TransferTable {
  /** The table's name on every backend. */
  name: string;
  fields: Readonly<Record<string, TransferFieldType>>;
  /**
   * The order records are read in: these fields (the primary key), or `insertion` (the order
   * rows were written, which is what a list's ties fall back to; the backend's own row number).
   */
  order: readonly string[] | 'insertion';
}

const text = 'text' as const;
const integer = 'integer' as const;
const real = 'real' as const;

/**
 * Every table a workspace's records live in, in the order they are copied (a session before its
 * messages and state). The search index (chunks, vectors) is not here: it is rebuilt from notes
 * and sessions, not copied.
 */
export const TRANSFER_TABLES: readonly TransferTable[] = [
  {
    name: 'sessions',
    fields: {
      id: text,
      title: text,
      user_id: text,
      agent: text,
      parent_session_id: text,
      channel_origin: text,
      created_at: text,
      updated_at: text,
      archived_at: text,
    },
    // Creation order: a sub-agent's parent exists before it (a foreign key).
    order: 'insertion',
  },
  {
    name: 'conversation_events',
    fields: { session_id: text, seq: integer, turn: integer, role: text, payload: text, created_at: text },
    order: ['session_id', 'seq'],
  },
  {
    name: 'session_state',
    fields: { session_id: text, key: text, value: text, epoch: integer, updated_at: text },
    order: ['session_id', 'key'],
  },
  {
    name: 'kernel_state',
    fields: { category: text, name: text, value: text, version: integer, updated_at: text },
    order: ['category', 'name'],
  },
  {
    name: 'notes',
    fields: { id: text, user_id: text, content: text, tags: 'tags', created_at: text, updated_at: text },
    order: 'insertion',
  },
  {
    name: 'gateway_tokens',
    fields: {
      id: text,
      digest: text,
      user_id: text,
      role: text,
      label: text,
      created_at: text,
      revoked_at: text,
      pending: 'boolean',
    },
    order: 'insertion',
  },
  {
    name: 'admin_approvals',
    fields: {
      id: text,
      op: text,
      params: text,
      requested_by: text,
      requested_at: text,
      expires_at: text,
      status: text,
      decided_by: text,
      decided_at: text,
      reason: text,
    },
    order: 'insertion',
  },
  {
    name: 'schedules',
    fields: {
      id: text,
      user_id: text,
      name: text,
      agent: text,
      prompt: text,
      kind: text,
      spec: text,
      timezone: text,
      enabled: 'boolean',
      next_run_at: integer,
      anchor_at: integer,
      consecutive_failures: integer,
      disabled_reason: text,
      run_token: text,
      directive: text,
      created_by: text,
      created_at: integer,
      updated_at: integer,
    },
    order: 'insertion',
  },
  {
    name: 'schedule_runs',
    fields: {
      id: text,
      schedule_id: text,
      user_id: text,
      due_at: integer,
      trigger: text,
      missed: integer,
      status: text,
      started_at: integer,
      finished_at: integer,
      lease_owner: text,
      lease_until: integer,
      agent_id: text,
      session_id: text,
      output: text,
      error: text,
      turns: integer,
      input_tokens: integer,
      output_tokens: integer,
      cost_usd: real,
      spec_outcome: text,
    },
    order: 'insertion',
  },
  {
    name: 'audit_log',
    fields: {
      seq: integer,
      ts: text,
      actor: text,
      action_type: text,
      action: text,
      resource: text,
      prev_hash: text,
      hash: text,
    },
    order: ['seq'],
  },
  { name: 'audit_meta', fields: { key: text, value: text }, order: ['key'] },
  {
    name: 'budget_spend',
    fields: { scope: text, period: text, usd: real, tokens: integer, calls: integer },
    order: ['scope', 'period'],
  },
  {
    name: 'budget_reservations',
    fields: { id: text, scope: text, period: text, usd: real, expires_at: integer },
    order: ['id', 'scope', 'period'],
  },
  { name: 'budget_limits', fields: { scope: text, key: text, value: real }, order: ['scope', 'key'] },
  {
    name: 'usage_log',
    fields: {
      ts: integer,
      kind: text,
      agent_id: text,
      agent_name: text,
      user_id: text,
      session_id: text,
      provider: text,
      model: text,
      input_tokens: integer,
      output_tokens: integer,
      cache_read_tokens: integer,
      cost_usd: real,
    },
    order: 'insertion',
  },
];

/** The table called `name` (a programming error when there is none). */
export function transferTable(name: string): TransferTable {
  const table = TRANSFER_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`no table ${name} in TRANSFER_TABLES`);
  return table;
}

/** Where a record stands in its table's order: the order fields' values, or the row number. */
export type TransferKey = readonly (string | number)[];

export interface TransferPage {
  records: TransferRecord[];
  /** The last record's key: read on after it. undefined when the page is empty. */
  last: TransferKey | undefined;
}

/** How far a copy into this table got, kept in the target with the records it counts. */
export interface TransferMark {
  table: string;
  /** The source, as `StoreTransfer.source` names it: a copy resumes only from the same one. */
  source: string;
  /** The last record copied (its key in the source's order). */
  last: TransferKey | undefined;
  /** Records copied into this table so far. */
  copied: number;
  /** Every record of the table is copied. */
  done: boolean;
}

/** The export/import side of one backend's stores (one database: a file, or a schema). */
export interface StoreTransfer {
  /** Names the data for a person and for resuming: a path, or `user@host:port/db` and schema. */
  readonly source: string;
  /** The tables of TRANSFER_TABLES this database holds. */
  readonly tables: readonly string[];
  count(table: string): Promise<number>;
  /** At most `limit` records after `after` (from the start when undefined), in the table's order. */
  read(table: string, after: TransferKey | undefined, limit: number): Promise<TransferPage>;
  /** The copy marks this database holds as a target (made ready to hold them when needed). */
  marks(): Promise<TransferMark[]>;
  /** Inserts the records exactly as given and stores `mark`, in one transaction. */
  write(table: string, records: readonly TransferRecord[], mark: TransferMark): Promise<void>;
  /** Removes every record of its tables and every mark (a forced copy's fresh start). */
  clear(): Promise<void>;
}
