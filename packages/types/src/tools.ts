import { posix } from 'node:path';

/**
 * Tool contracts. A tool's parameters are a JSON Schema (derived from zod by `defineTool`
 * in @oxydra/tools); adapters translate it to each API's dialect. Below them, the provenance
 * of what a tool result (or a user message) brings into the model's context.
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

/**
 * Where a piece of the model's context came from (issue 37's taint tracking). Every user message
 * and tool result may carry one; the runtime gathers the distinct ones a run's context holds and
 * hands them to each tool call, and the kernel's taint policy decides which kinds are untrusted
 * and what a context holding them may still do without a fresh human approval.
 */

/**
 * user / system: the operator and Oxydra itself. workspace_file: a file of the workspace (a
 * cloned repository's own files are someone else's words). web / browser: fetched pages.
 * channel: a chat message from a sender other than the operator. mcp: an MCP server's result.
 * a2a: a remote A2A agent's answer (another server's words). sub_agent: a delegated agent's answer.
 */
export const PROVENANCE_KINDS = [
  'user',
  'system',
  'workspace_file',
  'web',
  'browser',
  'channel',
  'mcp',
  'a2a',
  'sub_agent',
] as const;

export type ProvenanceKind = (typeof PROVENANCE_KINDS)[number];

export interface Provenance {
  kind: ProvenanceKind;
  /** Which one: the URL, the file path, the MCP server, the channel sender. */
  source?: string;
  /**
   * channel: the sender passed on words someone else wrote (a forwarded message). Such a prompt
   * stays untrusted from one of [taint] operators too: they are not the operator's own words.
   */
  relayed?: boolean;
}

const KIND_NAMES: Record<ProvenanceKind, string> = {
  user: 'the user',
  system: 'Oxydra',
  workspace_file: 'the workspace file',
  web: 'the web page',
  browser: 'the browser page',
  channel: 'a channel message from',
  mcp: 'the MCP server',
  a2a: 'the remote agent',
  sub_agent: 'the sub-agent',
};

/** "the web page https://x.example/a", "the MCP server github": for approvals and refusals. */
export function describeProvenance(provenance: Provenance): string {
  const name = KIND_NAMES[provenance.kind];
  return provenance.source === undefined ? name : `${name} ${provenance.source}`;
}

/** One key per distinct provenance, so a context keeps each source once. */
export function provenanceKey(provenance: Provenance): string {
  return provenance.source === undefined ? provenance.kind : `${provenance.kind}\u0000${provenance.source}`;
}

/** The workspace folder the browser tools save a page's downloads in. */
export const DOWNLOADS_DIR = 'downloads';
/** The workspace folder chat channels save a message's files in (`inbox/<channel>/`). */
export const INBOX_DIR = 'inbox';

/**
 * What a file the workspace holds counts as, by where Oxydra put it: a page's download is the
 * browser's words and a chat file the channel's, whoever reads them later and by which tool (a
 * prompt injected in a downloaded file would otherwise be read back as a plain workspace file).
 * Judged on the path as the tool was given it; a path elsewhere is a workspace file.
 */
export function workspaceFileProvenance(path: unknown): Provenance {
  if (typeof path !== 'string' || path === '') return { kind: 'workspace_file' };
  // Normalised first, so `a/../downloads/x` and `./downloads/x` are the download they name.
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  const first = normal.split('/')[0];
  const kind = first === DOWNLOADS_DIR ? 'browser' : first === INBOX_DIR ? 'channel' : 'workspace_file';
  return { kind, ...sourceOf(normal) };
}

/** A source string for a provenance, cut to a readable length (it is shown in approvals). */
export function sourceOf(value: unknown): { source?: string } {
  return typeof value === 'string' && value !== '' ? { source: value.slice(0, 200) } : {};
}

/**
 * What a stored text records of the context it was written in (conversation recall's taint):
 * the sources other than the operator's and Oxydra's own, one per kind (the first seen), so a
 * chunk keeps at most one entry per kind whatever the run read. Which kinds are untrusted is the
 * policy's, decided when the text is recalled; undefined: nothing to record.
 */
export function chunkTaint(provenance: readonly Provenance[]): Provenance[] | undefined {
  let taint: Provenance[] | undefined;
  for (const entry of provenance) {
    if (entry.kind === 'user' || entry.kind === 'system') continue;
    if (taint?.some((kept) => kept.kind === entry.kind)) continue;
    taint ??= [];
    taint.push(
      entry.source === undefined ? { kind: entry.kind } : { kind: entry.kind, source: entry.source },
    );
  }
  return taint;
}

/** A chunk's taint as its stores keep it: JSON, or null for none. */
export function taintText(taint: readonly Provenance[] | undefined): string | null {
  return taint === undefined || taint.length === 0 ? null : JSON.stringify(taint);
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(PROVENANCE_KINDS);

/**
 * A stored taint read back: the entries of known kinds, one per kind, their sources cut as
 * sourceOf does (the column may hold anything a migration or another writer put there);
 * undefined for none. Unreadable text, or a kind this version does not know, counts as a page
 * (kind `web`): a row that says it was tainted and cannot say how is not read as clean.
 */
export function parseTaint(value: unknown): Provenance[] | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [{ kind: 'web' }];
  }
  if (!Array.isArray(parsed)) return [{ kind: 'web' }];
  const entries = parsed.flatMap((entry: unknown): Provenance[] => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { kind, source } = entry as { kind?: unknown; source?: unknown };
    if (typeof kind !== 'string') return [];
    // A kind this version does not know (a newer writer's) is read as a page: not as clean.
    return [{ kind: KNOWN_KINDS.has(kind) ? (kind as ProvenanceKind) : 'web', ...sourceOf(source) }];
  });
  return chunkTaint(entries);
}
