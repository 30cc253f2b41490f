/**
 * Configuration of the kernel services: the audit chain, workspace checkpoints, spending caps
 * and what agents are permitted to do.
 */
import { z } from 'zod';
import { once } from '../once.js';

const positiveInt = once(() => z.int().positive());
const usd = once(() => z.number().positive());

export const auditSchema = once(() =>
  z.strictObject({
    max_entries: positiveInt()
      .default(100_000)
      .describe('entries kept in the audit chain; older ones are pruned behind a "pruned" marker'),
    verify_interval_secs: positiveInt()
      .default(300)
      .describe('how often the gateway verifies the whole chain (Oxios guardian: 5 minutes)'),
  }),
);

export const checkpointsSchema = once(() =>
  z.strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('snapshot the workspace before and after each run, for `oxydra undo` (needs git)'),
    max_file_bytes: positiveInt()
      .default(10 * 1024 * 1024)
      .describe('files larger than this are not snapshotted (undo leaves them as they are)'),
    max_files: positiveInt()
      .default(100_000)
      .describe(
        'a workspace with more files than this is not snapshotted at all (a warning says so; those runs cannot be undone)',
      ),
  }),
);

const capsSchema = once(() =>
  z.strictObject({
    daily_usd: usd().optional().describe('dollars per UTC day'),
    monthly_usd: usd().optional().describe('dollars per UTC calendar month'),
  }),
);

const agentCapsSchema = once(() =>
  capsSchema().extend({
    tokens_per_window: positiveInt().optional().describe('model tokens (input + output) per window'),
    calls_per_window: positiveInt().optional().describe('model calls per window'),
  }),
);

export const budgetsSchema = once(() =>
  z.strictObject({
    user_daily_usd: usd().optional().describe('every user’s dollar cap per UTC day (all agents together)'),
    user_monthly_usd: usd().optional().describe('every user’s dollar cap per UTC month'),
    agent_daily_usd: usd().optional().describe('every agent’s dollar cap per UTC day (all users together)'),
    agent_monthly_usd: usd().optional().describe('every agent’s dollar cap per UTC month'),
    window_secs: positiveInt().default(3600).describe('the window of tokens_per_window and calls_per_window'),
    reserve_usd: z
      .number()
      .nonnegative()
      .default(0.05)
      .describe('dollars reserved before a model call whose price is unknown until it ends'),
    users: z.record(z.string().min(1), capsSchema()).default({}).describe('per-user caps over the defaults'),
    agents: z
      .record(z.string().min(1), agentCapsSchema())
      .default({})
      .describe('per-agent caps over the defaults'),
    usage_log_days: positiveInt()
      .default(400)
      .describe('days the usage log (`oxydra costs`) keeps each model call; older rows are pruned'),
    usage_log_max_rows: positiveInt()
      .default(1_000_000)
      .describe('rows the usage log keeps at most (about 150 bytes each); the oldest are pruned'),
  }),
);

export const NETWORK_PERMISSIONS = ['inherit', 'off'] as const;

/** What an agent may do; checked by the kernel before each tool call, denials audited. */
export const permissionsSchema = once(() =>
  z.strictObject({
    allowed_tools: z
      .array(z.string().min(1))
      .optional()
      .describe('tools the agent may call; others are hidden and refused (unset: all)'),
    allowed_paths: z
      .array(z.string().min(1))
      .optional()
      .describe('globs (relative to the workspace) the file tools may touch (unset: the whole workspace)'),
    network: z
      .enum(NETWORK_PERMISSIONS)
      .default('inherit')
      .describe('"off": no web tools and no network for its commands; "inherit": [tools.sandbox] decides'),
    can_delegate: z.boolean().default(true).describe('may hand tasks to other agents'),
    max_run_secs: positiveInt().optional().describe('wall-clock limit of each run'),
  }),
);

/** An agent's own [agents.<name>.permissions]: only what it sets replaces [permissions]. */
export const agentPermissionsSchema = once(() =>
  z.strictObject({
    allowed_tools: z.array(z.string().min(1)).optional().describe('overrides permissions.allowed_tools'),
    allowed_paths: z.array(z.string().min(1)).optional().describe('overrides permissions.allowed_paths'),
    network: z.enum(NETWORK_PERMISSIONS).optional().describe('overrides permissions.network'),
    can_delegate: z.boolean().optional().describe('overrides permissions.can_delegate'),
    max_run_secs: positiveInt().optional().describe('overrides permissions.max_run_secs'),
  }),
);

export type BudgetsConfig = z.output<ReturnType<typeof budgetsSchema>>;
export type PermissionsConfig = z.output<ReturnType<typeof permissionsSchema>>;
