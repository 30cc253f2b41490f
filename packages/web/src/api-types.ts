/**
 * The shapes the dashboard reads from the gateway's REST API (/api/v1). The OpenAPI document at
 * /api/v1/openapi.json is authoritative; these name only the fields the pages use, and every
 * page tolerates fields it does not know.
 */

type Role = 'user' | 'operator' | 'admin';

export interface Me {
  user: string | null;
  role: Role;
  token_id: string | null;
}

export interface SessionRow {
  session_id: string;
  /** What lists show: "Default session", the title, or the short id (the gateway's one naming rule). */
  name?: string;
  display_name?: string | null;
  agent_name: string;
  user_id: string | null;
  created_at: string;
  last_active_at: string;
  archived: boolean;
  message_count?: number;
}

export interface TranscriptMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  content: string | { type: string; text?: string; mime_type?: string; mimeType?: string }[];
  tool_calls?: { id?: string; name: string; arguments?: unknown }[];
  toolCalls?: { id?: string; name: string; arguments?: unknown }[];
  tool_name?: string;
  toolName?: string;
  is_error?: boolean;
  isError?: boolean;
}

export interface AgentRow {
  id: string;
  parent_id: string | null;
  name: string;
  status: string;
  session_id?: string | null;
  user_id?: string | null;
  started_at?: string;
  turns?: number;
  usage?: { input_tokens: number; output_tokens: number };
  cost_usd?: number | null;
}

export interface ApprovalRow {
  id: string;
  op: string;
  params?: unknown;
  requested_by?: string;
  requested_at?: string;
  expires_at?: string;
  status?: string;
  decided_by?: string | null;
  decided_at?: string | null;
  reason?: string | null;
}

/** `event: admin_approval` on /api/v1/events: the approvals queue changed (admin tokens only). */
export interface AdminApprovalEvent {
  type: 'requested' | 'approved' | 'rejected' | 'expired' | 'failed';
  approval: ApprovalRow;
}

/** An agent a new session can run (GET /api/v1/agents/configured). */
export interface ConfiguredAgent {
  name: string;
  description: string | null;
  provider: string;
  model: string;
}

export interface ScheduleRow {
  id: string;
  name?: string | null;
  user_id?: string | null;
  agent?: string | null;
  prompt: string;
  timing: string | Record<string, unknown>;
  timezone?: string | null;
  enabled: boolean;
  next_run_at: string | null;
  consecutive_failures?: number;
  disabled_reason?: string | null;
}

export interface ScheduleRun {
  id: string;
  status: string;
  trigger?: string;
  started_at: string;
  finished_at?: string | null;
  duration_ms?: number | null;
  turns?: number | null;
  cost_usd?: number | null;
  output?: string | null;
  error?: string | null;
  session_id?: string | null;
}

export interface MemoryResult {
  text: string;
  /** "note" or "conversation". */
  source?: string;
  kind?: string;
  score?: number;
  note_id?: string | null;
  session_id?: string | null;
  tags?: string[];
}

export interface MemoryNote {
  id: string;
  text: string;
  tags?: string[];
  created_at?: string;
}

export interface AuditEntry {
  seq: number;
  ts: string;
  actor: string;
  action: { type: string; data?: unknown };
  resource?: string | null;
  hash?: string;
}

export interface AuditVerify {
  ok: boolean;
  /** Entries checked (`checked` in early drafts of the API). */
  entries?: number;
  checked?: number;
  problems: { seq: number; kind: string; message: string }[];
}

/** A snapshot of the workspace (GET /api/v1/checkpoints). */
export interface Checkpoint {
  id: string;
  parent: string | null;
  message: string;
  meta: Record<string, string>;
  created_at: string;
  skipped: string[];
  /** Entries that differ from the parent checkpoint. */
  changed: number;
}

/** A run that changed the workspace, bracketed by its checkpoints. */
export interface CheckpointRun {
  run: string;
  kind: 'run' | 'undo';
  agent: string | null;
  /** The run an undo undid. */
  undoes: string | null;
  /** The session the run belongs to (null for undos and older runs). */
  session: string | null;
  before: Checkpoint;
  /** null while the run is going on. */
  after: Checkpoint | null;
}

export interface DiffChange {
  path: string;
  status: 'added' | 'deleted' | 'modified' | 'mode';
}

/** What POST /api/v1/checkpoints/undo answers. */
export interface UndoReport {
  run: string;
  /** Undoing this run brings the files back. */
  undo_run: string;
  restored_to: string;
  saved: string;
  report: { removed: string[]; written: string[]; modes: string[]; kept: string[] };
}

interface CostRow {
  key: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unknown_cost_calls?: number;
}

export interface CostReport {
  by: string;
  rows: CostRow[];
  totals: Partial<CostRow>;
}

export interface Health {
  status: string;
  version?: string;
  uptime_secs?: number;
  sandbox?: { tier: string; shell: string; summary: string };
  tool_sources?: { name: string; ok: boolean; detail?: string }[];
  resources?: {
    process?: { rss_bytes?: number; heap_used_bytes?: number; uptime_secs?: number };
    agents?: { active?: number; running?: number; idle?: number; total?: number };
    sessions?: number | Record<string, number>;
    /** Sessions stored in the memory database (what the Sessions page lists). */
    stored_sessions?: number;
    system?: { load_avg?: number[]; cpus?: number; free_mem_bytes?: number; total_mem_bytes?: number };
  };
  scheduler?: { enabled: boolean; started: boolean };
  clients?: number;
  /** null (or absent on older gateways): the gateway has no trust report. */
  /** held_count: the workspace's settings; yours_count: the user's own items (absent on older gateways). */
  trust?: { state: TrustState; held_count: number; yours_count?: number } | null;
}

export type TrustState = 'not-needed' | 'trusted' | 'trusted-for-this-run' | 'untrusted' | 'declined';

/** A setting of the workspace's own .oxydra/ that needs trust; `value` is JSON text, secrets masked. */
export interface HeldSetting {
  key: string;
  source: string;
  why: string;
  value: string;
  /** Set when it is an item of the user's own configuration, held for where it resolves or starts. */
  yours?: { kind: 'plugin' | 'mcp-server'; name: string };
}

/** GET /api/v1/config's `trust`: what the workspace holds back until it is trusted. */
export interface WorkspaceTrust {
  workspace: string;
  state: TrustState;
  changed: boolean;
  keys_hash: string;
  held: HeldSetting[];
  /** A decision recorded since the gateway started, applied when it restarts. */
  pending: 'trusted' | 'revoked' | null;
}

/** POST / DELETE /api/v1/trust. */
export interface TrustDecision {
  workspace: string;
  decision: 'trusted' | 'revoked';
  restart_needed: boolean;
  message: string;
}

/** GET /api/v1/channels: one configured chat channel (admin only). */
export interface ChannelInfo {
  channel: string;
  enabled: boolean;
  /** null: the default agent answers. */
  agent: string | null;
  senders: number;
  sender_ids: number;
  /** null: no process has answered this channel in this workspace. */
  health: {
    running: boolean;
    bot_name: string | null;
    pid: number;
    host: string;
    /** "oxydra gateway" or "oxydra channels run"; null: not recorded. */
    role: string | null;
    /** Running, and answered by this gateway's own process. */
    this_process: boolean;
    started_at: string;
    heartbeat_at: string;
    heartbeat_age_secs: number;
    stopped_at: string | null;
    last_receive_at: string | null;
    last_send_at: string | null;
    last_error: string | null;
    last_error_at: string | null;
  } | null;
  /** Stored messages by status. */
  inbound: Record<string, number>;
  last_received_at: string | null;
  outbox: {
    unsent: number;
    failed: number;
    recent_failures: {
      key: string;
      chat_id: string;
      thread_id: string | null;
      text: string;
      error: string;
      failed_at: string;
    }[];
  };
}

/** A spec run stored with its session (docs/spec-runs.md): what the session page's panel shows. */
export interface SpecRun {
  state: 'running' | 'passed' | 'failed' | string;
  max_attempts: number;
  directive: { goal: string; constraints: string[]; criteria: { id: string; kind: string; text: string }[] };
  attempts: {
    attempt: number;
    status: string;
    checkpoint_before: string | null;
    passed: boolean;
    results: { id: string; kind: string; text: string; passed: boolean; detail: string }[];
    /** Which criterion's work ran in which sub-agent (a split attempt). */
    sub_agents: { criterion_id: string; agent_id: string; name: string; status: string }[] | null;
  }[];
}
