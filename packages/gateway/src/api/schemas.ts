/**
 * The REST API's shared shapes (snake_case on the wire), each named for the OpenAPI document's
 * components. Handlers build these from the kernel's records in the route files.
 */
import type { AdminApproval, ScopeBudget } from '@oxydra/kernel/admin';
import type { Checkpoint, RunHistory, UndoReport } from '@oxydra/kernel/checkpoints';
import { z } from 'zod';

export const errorSchema = z
  .object({
    error: z.object({
      message: z.string().describe('what went wrong, and the fix when there is one'),
      type: z
        .string()
        .describe('invalid_request_error, authentication_error, permission_error, server_error'),
      code: z.string().describe('stable machine-readable code, e.g. not_found, forbidden, invalid_request'),
    }),
  })
  .meta({ id: 'Error' });

export const idParams = z.object({ id: z.string().min(1).max(200) });

const usageSchema = z
  .object({ input_tokens: z.number().nullable(), output_tokens: z.number().nullable() })
  .meta({ id: 'Usage' });

export const agentSchema = z
  .object({
    id: z.string(),
    parent_id: z.string().nullable(),
    name: z.string(),
    status: z.enum(['starting', 'running', 'idle', 'completed', 'failed', 'killed']),
    session_id: z.string().nullable(),
    user_id: z.string().nullable(),
    started_at: z.string().describe('ISO time'),
    turns: z.number(),
    usage: usageSchema,
    cost_usd: z.number().nullable(),
  })
  .meta({ id: 'Agent' });

export const sessionSchema = z
  .object({
    session_id: z.string(),
    name: z
      .string()
      .describe(
        'what lists show: "Default session" for the user\'s default session (runtime-<user>), else its title (set, or taken from the first user message), else its short id; one line of plain text',
      ),
    display_name: z.string().optional(),
    agent_name: z.string(),
    channel_origin: z.string(),
    user_id: z.string().nullable(),
    created_at: z.string(),
    last_active_at: z.string(),
    archived: z.boolean(),
    message_count: z.number().optional(),
  })
  .meta({ id: 'Session' });

export const criterionResultSchema = z
  .object({
    id: z.string().describe("c1, c2... in the directive's order"),
    kind: z.enum(['test', 'file', 'json-schema', 'judge']),
    text: z.string(),
    passed: z.boolean(),
    detail: z
      .string()
      .describe("the command's exit and output tail, the file problem, or the judge's reason"),
  })
  .meta({ id: 'CriterionResult' });

/** A finished spec run as hosts report it: passed, and the last attempt's per-criterion results. */
export const specSummarySchema = z
  .object({
    passed: z.boolean(),
    attempts: z.number().describe('attempts made'),
    results: z.array(criterionResultSchema).describe("the last attempt's results"),
    stopped: z.string().optional().describe('why the attempts stopped before passing'),
  })
  .meta({ id: 'SpecSummary' });

/** A schedule's spec: the fields a spec request has (docs/spec-runs.md). */
const scheduleSpecSchema = z
  .object({
    goal: z.string().optional(),
    constraints: z.array(z.string()),
    acceptance_criteria: z.array(z.string()),
    max_attempts: z.number().optional(),
  })
  .meta({ id: 'ScheduleSpec' });

export const scheduleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    user_id: z.string(),
    agent: z.string(),
    prompt: z.string(),
    kind: z.enum(['cron', 'every', 'once']),
    timing: z.string().describe('"cron 0 9 * * 1-5", "every 15m", "once 2026-12-01T09:00"'),
    timezone: z.string(),
    enabled: z.boolean(),
    next_run_at: z.string().nullable(),
    consecutive_failures: z.number(),
    disabled_reason: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    spec: scheduleSpecSchema.nullable().describe('set: each run is a spec run (docs/spec-runs.md)'),
  })
  .meta({ id: 'Schedule' });

export const scheduleRunSchema = z
  .object({
    id: z.string(),
    schedule_id: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'interrupted']),
    trigger: z.enum(['schedule', 'catch_up', 'manual']),
    missed: z.number(),
    due_at: z.string(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    turns: z.number().nullable(),
    input_tokens: z.number().nullable(),
    output_tokens: z.number().nullable(),
    cost_usd: z.number().nullable(),
    output: z.string().nullable(),
    error: z.string().nullable(),
    session_id: z.string().nullable(),
    spec: specSummarySchema.nullable().describe("a spec schedule's run: passed, and per-criterion results"),
  })
  .meta({ id: 'ScheduleRun' });

export const noteSchema = z
  .object({
    id: z.string(),
    text: z.string(),
    tags: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Note' });

export const auditEntrySchema = z
  .object({
    seq: z.number(),
    ts: z.string(),
    actor: z.string(),
    action: z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) }),
    resource: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const approvalSchema = z
  .object({
    id: z.string(),
    op: z.string().describe('budget_set or token_activate'),
    params: z.record(z.string(), z.unknown()),
    requested_by: z.string(),
    requested_at: z.string(),
    expires_at: z.string(),
    status: z.enum(['pending', 'approved', 'rejected', 'expired', 'failed']),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'AdminApproval' });

export const approvalJson = (a: AdminApproval): z.infer<typeof approvalSchema> => ({
  id: a.id,
  op: a.operation.op,
  params: { ...a.operation } as Record<string, unknown>,
  requested_by: a.requestedBy,
  requested_at: a.requestedAt,
  expires_at: a.expiresAt,
  status: a.status,
  decided_by: a.decidedBy ?? null,
  decided_at: a.decidedAt ?? null,
  reason: a.reason ?? null,
});

const spendSchema = z.object({ usd: z.number(), calls: z.number(), tokens: z.number() });

export const budgetSchema = z
  .object({
    scope: z.string().describe('"user:<id>" or "agent:<name>"'),
    caps: z.array(
      z.object({
        scope: z.string(),
        key: z.string().describe('daily_usd, monthly_usd, ...'),
        limit: z.number(),
        source: z.string().describe('where it was set: "oxydra budget set" or its configuration key'),
        origin: z
          .enum(['explicit', 'default'])
          .describe("explicit: set for this scope; default: [budgets]' default for every scope"),
        used: z.number(),
        reserved: z.number().describe('held by calls in progress'),
        remaining: z.number(),
        resets_at: z.string(),
      }),
    ),
    uncapped: z.array(z.string()).describe('caps this scope could have that nothing sets: no limit'),
    today: spendSchema.describe('this UTC day'),
    month: spendSchema.describe('this UTC month'),
  })
  .meta({ id: 'Budget' });

export const budgetJson = (b: ScopeBudget): z.infer<typeof budgetSchema> => ({
  scope: b.scope,
  caps: b.caps.map((cap) => ({
    scope: cap.scope,
    key: cap.key,
    limit: cap.limit,
    source: cap.source,
    origin: cap.origin,
    used: cap.used,
    reserved: cap.reserved,
    remaining: cap.remaining,
    resets_at: cap.resetsAt,
  })),
  uncapped: [...b.uncapped],
  today: { ...b.today },
  month: { ...b.month },
});

// Checkpoints: strict objects, so a field the document does not name (a camelCase leak) fails it.

export const checkpointSchema = z
  .strictObject({
    id: z.string().describe('the commit sha'),
    parent: z.string().nullable().describe('the previous checkpoint; null for the first'),
    message: z.string(),
    meta: z.record(z.string(), z.string()).describe('its trailers: run, kind (before/after), agent, undoes'),
    created_at: z.string().describe('ISO time, second precision'),
    skipped: z.array(z.string()).describe('paths not captured (too large, nested repositories)'),
    changed: z.number().describe('entries that differ from the parent checkpoint'),
  })
  .meta({ id: 'Checkpoint' });

export const checkpointJson = (c: Checkpoint): z.infer<typeof checkpointSchema> => ({
  id: c.id,
  parent: c.parent ?? null,
  message: c.message,
  meta: { ...c.meta },
  created_at: c.createdAt,
  skipped: [...c.skipped],
  changed: c.changed,
});

export const checkpointRunSchema = z
  .strictObject({
    run: z.string(),
    kind: z.enum(['run', 'undo']).describe("run: an agent's run; undo: an undo or a restore"),
    agent: z.string().nullable(),
    undoes: z.string().nullable().describe('the run it undid (kind undo)'),
    session: z.string().nullable().describe('the session the run belongs to (null for undos and older runs)'),
    before: checkpointSchema,
    after: checkpointSchema.nullable().describe('null while the run is going on'),
  })
  .meta({ id: 'CheckpointRun' });

export const checkpointRunJson = (r: RunHistory): z.infer<typeof checkpointRunSchema> => ({
  run: r.run,
  kind: r.kind,
  agent: r.agent ?? null,
  undoes: r.undoes ?? null,
  session: r.session ?? null,
  before: checkpointJson(r.before),
  after: r.after ? checkpointJson(r.after) : null,
});

export const fileChangeSchema = z
  .strictObject({
    path: z.string().describe('a directory ends with "/"'),
    status: z.enum(['added', 'deleted', 'modified', 'mode']),
  })
  .meta({ id: 'FileChange' });

export const undoReportSchema = z
  .strictObject({
    run: z.string().describe('the run undone'),
    undo_run: z.string().describe("the undo's own run: undoing it brings the files back"),
    restored_to: z.string().describe('the checkpoint the files were put back to'),
    saved: z.string().describe('the checkpoint of the state the undo replaced'),
    report: z.strictObject({
      removed: z.array(z.string()),
      written: z.array(z.string()),
      modes: z.array(z.string()).describe('content already right, mode reset'),
      kept: z.array(z.string()).describe('differ but left alone (not captured)'),
    }),
  })
  .meta({ id: 'UndoReport' });

export const undoReportJson = (u: UndoReport): z.infer<typeof undoReportSchema> => ({
  run: u.run,
  undo_run: u.undoRun,
  restored_to: u.restoredTo,
  saved: u.saved,
  report: {
    removed: [...u.report.removed],
    written: [...u.report.written],
    modes: [...u.report.modes],
    kept: [...u.report.kept],
  },
});

/** ISO time of a millisecond timestamp, or null. */
export const iso = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();
