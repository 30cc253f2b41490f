/**
 * [taint]: what a run whose context holds untrusted content (a fetched page, an MCP result, a
 * file, a message from another sender) may still do without a fresh human approval. The kernel
 * applies it before each tool call (packages/kernel/src/assemble/permissions.ts); an agent's
 * [agents.<name>.taint] replaces it field by field.
 */
import { z } from 'zod';
import { once } from '../once.js';
import { PROVENANCE_KINDS } from '../tools.js';

/** allow: runs as usual; ask: a human must approve it (refused where nobody can); refuse: never. */
export const TAINT_ACTIONS = ['allow', 'ask', 'refuse'] as const;

const action = once(() => z.enum(TAINT_ACTIONS));

/** [taint] recall: what recall does with text a tainted run wrote (kernel/src/assemble/permissions.ts). */
export const TAINT_RECALL = ['taint', 'exclude'] as const;

/** The kinds that taint a context unless [taint] untrusted says otherwise. */
export const DEFAULT_UNTRUSTED = ['web', 'browser', 'channel', 'mcp', 'a2a'] as const;

/** Secret-looking and self-running files: a prompt injection's first targets. */
export const DEFAULT_PROTECTED_PATHS = [
  '**/.env',
  '**/.env.*',
  '**/*.pem',
  '**/*.key',
  '**/id_rsa*',
  '**/id_ed25519*',
  '**/id_ecdsa*',
  '**/.ssh/**',
  '**/.netrc',
  '**/.npmrc',
  '**/.git/**',
  '**/.github/workflows/**',
  '**/*secret*',
  '**/*credential*',
];

export const taintRulesSchema = once(() =>
  z.strictObject({
    shell_network: action()
      .default('ask')
      .describe(
        'shell_exec while commands can reach the network ([tools.sandbox] network not "off", or mode = "none")',
      ),
    shell: action().default('allow').describe('shell_exec without network'),
    file_write: action()
      .default('ask')
      .describe(
        'file_write, file_edit, file_delete and vault_copyto of a path outside write_paths or inside protected_paths',
      ),
    send: action().default('ask').describe('sending to others: a2a_delegate to a remote agent'),
    schedule: action().default('ask').describe('schedule_create and schedule_update'),
    memory: action()
      .default('ask')
      .describe(
        'memory_save and memory_update: a note is recalled into later sessions, which the page that wrote it does not taint',
      ),
  }),
);

export const taintSchema = once(() =>
  z.strictObject({
    enabled: z.boolean().default(true).describe('apply the taint policy at all'),
    untrusted: z
      .array(z.enum(PROVENANCE_KINDS))
      .default([...DEFAULT_UNTRUSTED])
      .describe(
        'provenance kinds that taint a context: web, browser, channel, mcp, a2a (a remote agent), workspace_file, sub_agent (user and system never do)',
      ),
    operators: z
      .array(z.string().min(1))
      .default([])
      .describe("kernel user ids whose channel messages count as the operator's own (untainted)"),
    rules: taintRulesSchema().prefault({}).describe('what a tainted context may do without a fresh approval'),
    write_paths: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'globs (relative to the workspace) a tainted context may write; unset: permissions.allowed_paths, else the workspace',
      ),
    protected_paths: z
      .array(z.string().min(1))
      .default(DEFAULT_PROTECTED_PATHS)
      .describe(
        'globs a tainted context never writes without approval (secret-looking and self-running files)',
      ),
    tools: z
      .record(z.string().min(1), action())
      .default({})
      .describe('more tools by name, e.g. an MCP tool that posts: { github__create_issue = "ask" }'),
    recall: z
      .enum(TAINT_RECALL)
      .default('taint')
      .describe(
        'memory recall of text written while a context held untrusted content: "taint" recalls it marked untrusted and taints the run that recalls it; "exclude" leaves it out',
      ),
  }),
);

/** An agent's own [agents.<name>.taint]: only what it sets replaces [taint]. */
export const agentTaintSchema = once(() =>
  z.strictObject({
    enabled: z.boolean().optional().describe('overrides taint.enabled'),
    untrusted: z.array(z.enum(PROVENANCE_KINDS)).optional().describe('overrides taint.untrusted'),
    rules: z
      .strictObject({
        shell_network: action().optional().describe('overrides taint.rules.shell_network'),
        shell: action().optional().describe('overrides taint.rules.shell'),
        file_write: action().optional().describe('overrides taint.rules.file_write'),
        send: action().optional().describe('overrides taint.rules.send'),
        schedule: action().optional().describe('overrides taint.rules.schedule'),
        memory: action().optional().describe('overrides taint.rules.memory'),
      })
      .optional()
      .describe('overrides taint.rules, rule by rule'),
    write_paths: z.array(z.string().min(1)).optional().describe('overrides taint.write_paths'),
    protected_paths: z.array(z.string().min(1)).optional().describe('overrides taint.protected_paths'),
    tools: z
      .record(z.string().min(1), action())
      .optional()
      .describe('added to taint.tools, replacing same names'),
  }),
);

export type TaintConfig = z.output<ReturnType<typeof taintSchema>>;
export type AgentTaintConfig = z.output<ReturnType<typeof agentTaintSchema>>;
export type TaintAction = (typeof TAINT_ACTIONS)[number];
export type TaintRecall = (typeof TAINT_RECALL)[number];
export type TaintRule = keyof z.output<ReturnType<typeof taintRulesSchema>>;
