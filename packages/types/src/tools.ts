import type { Provenance } from './provenance.js';

/**
 * Tool contracts. A tool's parameters are a JSON Schema (derived from zod by `defineTool`
 * in @oxydra/tools); adapters translate it to each API's dialect.
 */

/** read_only tools may run in parallel; side_effecting and privileged run one at a time. */
export type SafetyTier = 'read_only' | 'side_effecting' | 'privileged';

export const SAFETY_TIERS: readonly SafetyTier[] = ['read_only', 'side_effecting', 'privileged'];

/** A JSON Schema object (draft 2020-12 subset as zod emits it). */
export type JsonSchema = { [key: string]: unknown };

export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
  safety: SafetyTier;
  /** Per-call timeout; the runtime's turn_timeout_secs applies when absent. */
  timeoutMs?: number;
}

/** A privileged call waiting for a human's yes or no. */
export interface ApprovalRequest {
  toolName: string;
  arguments: Record<string, unknown>;
  /** One line describing what would run, e.g. the shell command. */
  summary: string;
  /** Why a call that would otherwise run is asked about (the taint policy: "this call follows content from …"). */
  reason?: string;
  /**
   * Aborted when the call is given up while the question is open (its deadline, the run's
   * cancel): whoever asks must close the question then, or a late answer goes nowhere.
   */
  signal?: AbortSignal;
}

/** Per-invocation snapshot handed to a tool. */
export interface ToolContext {
  /** Absolute path of the workspace root; relative tool paths resolve against it. */
  workspace: string;
  sessionId?: string;
  userId?: string;
  /** The kernel agent making the call (delegation spawns its children under it). */
  agentId?: string;
  provider?: string;
  model?: string;
  /** Aborted when the run is cancelled or the tool times out: tools must stop and clean up. */
  signal: AbortSignal;
  /** Report progress for long-running tools. */
  onProgress?: (message: string) => void;
  /**
   * Asks a human to approve a privileged call (tools.approval = "ask"). Absent when nobody can
   * answer (not interactive): the call is then denied with a message saying how to allow it.
   */
  approve?: (request: ApprovalRequest) => Promise<boolean>;
  /**
   * The distinct provenances of what the run's context holds besides the operator's own words
   * (fetched pages, MCP results, files, other senders), oldest first: the taint policy's input.
   */
  provenance?: readonly Provenance[];
}

/** An image a tool hands back (a screenshot): shown to models that accept images. */
export interface ToolImage {
  mimeType: string;
  /** base64. */
  data: string;
}

export interface ToolResult {
  /** Text handed back to the model. */
  content: string;
  isError?: boolean;
  /** Images for the model, after `content`; a model that reads no images is told it got none. */
  images?: ToolImage[];
  /** Structured data for UIs and logs; never sent to the model. */
  data?: unknown;
  /** What this result holds, when the tool knows better than its declaration (a sub-agent's answer). */
  provenance?: Provenance;
}

export interface Tool extends ToolSpec {
  /**
   * Registered but offered only when a tool list names it (an agent's `tools`, `--tools`): a
   * tool whose definition would cost every model call more than its occasional use is worth.
   */
  onRequest?: boolean;
  execute(args: Record<string, unknown>, context: ToolContext): Promise<ToolResult | string>;
  /**
   * Calls of a tool below `privileged` that need approval all the same, asked and recorded as
   * a privileged call's (a2a_delegate to a URL nobody configured).
   */
  needsApproval?(args: Record<string, unknown>): boolean;
  /**
   * What a call's result holds, for taint tracking: web_fetch -> the page's URL, an MCP tool ->
   * its server. Absent: the result is the tool's own (a command's output, a listing).
   */
  provenance?(args: Record<string, unknown>): Provenance | undefined;
}

/**
 * Only the public spec of a tool: what providers see. Its parameters are read from the tool when
 * the spec's are first read, not here: a defined tool converts its zod schema to JSON Schema at
 * that read, and a registry's specs are also listed by name (the gateway checks its default
 * agent at start, skills look for the tools they name), where converting every tool's schema
 * cost each gateway start ~5 ms. The first request to a model reads them.
 */
export function toolSpecOf(tool: ToolSpec): ToolSpec {
  let parameters: JsonSchema | undefined;
  const spec: ToolSpec = {
    name: tool.name,
    description: tool.description,
    get parameters() {
      parameters ??= tool.parameters;
      return parameters;
    },
    safety: tool.safety,
  };
  if (tool.timeoutMs !== undefined) spec.timeoutMs = tool.timeoutMs;
  return spec;
}

/** One call the model asked for, as the runtime hands it to the tool executor. */
export interface ToolInvocation {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** Set when the model's argument text was not valid JSON: the executor reports it back. */
  parseError?: string;
}

/** What a tool call produced, ready to go back to the model. Tool failures are results, not exceptions. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
  durationMs: number;
  images?: ToolImage[];
  data?: unknown;
  /** What the result holds (Tool.provenance), set when the tool ran. */
  provenance?: Provenance;
}

/**
 * The tool side of the agent loop (implemented by @oxydra/tools' registry): the specs to offer
 * the model, and execution through validation, approval, policy, timeout, truncation and
 * scrubbing. `execute` never throws for a tool's own failure; it throws Cancelled when the
 * context's signal aborts.
 */
export interface ToolExecutor {
  specs(): ToolSpec[];
  spec(name: string): ToolSpec | undefined;
  execute(call: ToolInvocation, context: ToolContext): Promise<ToolOutcome>;
}

/** How a tool source is doing, for `oxydra doctor` and the gateway's /readyz. */
export interface ToolSourceHealth {
  /** The source's name ("mcp:github", "plugin:git-context"). */
  name: string;
  ok: boolean;
  /** One line: "connected, 12 tools", "reconnecting (attempt 3): ECONNREFUSED". */
  detail: string;
}

/**
 * Tools from outside the core — MCP servers, plugins, remote agents — that the kernel offers
 * beside its own. A source's tools go through the same registry pipeline as the core tools
 * (validation, safety tier, approval, timeout, truncation, scrubbing). A source may change its
 * list while the kernel runs (an MCP list-changed notification, a reconnect): it tells
 * `onChange` listeners, and agents assembled afterwards see the new list.
 */
export interface ToolSource {
  readonly name: string;
  /** The tools available now (may be empty while connecting). */
  tools(): Tool[];
  /** Subscribes to changes of the list; returns the unsubscribe. */
  onChange?(listener: () => void): () => void;
  /** Connects or starts; the kernel does not wait longer than it must (see startTimeoutMs). */
  start?(): Promise<void>;
  close?(): Promise<void>;
  health?(): ToolSourceHealth;
}
