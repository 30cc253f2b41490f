/**
 * The kernel's public contract: what a host passes to open a kernel and to spawn an agent, and
 * what it gets back. Hosts (the CLI, the gateway, the runner's guest, tests) see only these
 * types and the Kernel facade; how an agent is assembled stays inside the package.
 */
import type { AdapterFactories } from '@oxydra/provider/core';
import type { Clock, RunResult } from '@oxydra/runtime';
import type {
  AgentConfig,
  ContentPart,
  ControlStoreGroup,
  Message,
  NoteStore,
  Provenance,
  SearchIndexStore,
  SearchModel,
  SessionStore,
  StateStore,
  StreamEvent,
  Tool,
  ToolSource,
  TurnEndWrites,
  Usage,
} from '@oxydra/types';
import type { GuestPolicy } from './assemble/sandbox.js';

export type { GuestPolicy };

/** Who opened the kernel: said in logs and in what sessions record (codex's SessionSource). */
export type HostKind = 'cli' | 'gateway' | 'runner-guest' | 'scheduler' | 'channel' | 'test';

export interface KernelOptions {
  /** Absolute path of the workspace the agents work in. */
  workspace: string;
  /** The loaded configuration (files, environment and overrides already applied). */
  config: AgentConfig;
  host: HostKind;
  /**
   * Where each key's value came from (LoadedConfig.provenance: dotted key -> file, variable or
   * flag): an agent's `system_prompt` set in the workspace's own `.oxydra/` is marked in its
   * system prompt as the workspace's words. Not needed with a `config` from loadAgentConfig
   * (every `oxydra` command's), which keeps its own; with neither (a config copied or made by
   * hand), an inline prompt counts as the user's.
   */
  configSources?: ReadonlyMap<string, string>;
  /** Where credentials come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Wire adapters to use instead of the real ones (tests, benchmarks). */
  adapters?: AdapterFactories;
  /** Time source for the runs; default the system clock. */
  clock?: Clock;
  /** More secret values to keep out of tool output and transcripts (the gateway's token). */
  secrets?: readonly string[];
  /** Non-fatal problems, one line each; default: "warning: ..." on stderr. */
  warn?: (message: string) => void;
  /** A runner guest's policy for its user, applied over `config`. */
  policy?: GuestPolicy;
  /** How long an approval question waits for an answer before it counts as "deny"; default 5 minutes. */
  approvalTimeoutMs?: number;
  /**
   * More tool sources beside those the configuration names ([mcp.servers], [plugins]): a
   * host's own, or a test's. Started with the kernel and closed with it.
   */
  toolSources?: readonly ToolSource[];
  /**
   * @internal replaySession's: tools answering from a recording, in place of the kernel's own of
   * the same names. A replay's kernel writes no usage log (its cassette's calls cost nothing).
   */
  replay?: { tools: readonly Tool[] };
  /**
   * Stores to use instead of the embedded libSQL defaults (a test's, later PostgreSQL's): each
   * implements its contract from @oxydra/types and passes @oxydra/testkit/store-contracts.
   */
  stores?: Partial<KernelStores>;
}

/** The stores a kernel keeps its data in (issue 32 item 3); libSQL files by default. */
export interface KernelStores {
  /** `kernel.state`: named JSON values (default: the memory database's). */
  state: StateStore;
  /**
   * Stored conversations (default: the memory database's); used while memory is on. Pass
   * `searchIndex` from the same backend with it: the memory database's index ties conversation
   * chunks to its own session rows, so a turn stored elsewhere is not made searchable there (a
   * warning says so).
   */
  sessions: SessionStore;
  /**
   * The search index recall and the memory tools use (chunks of notes and conversations, their
   * vectors, full-text), opened for the kernel's embedding model (default: the memory database's).
   */
  searchIndex: (model: SearchModel) => SearchIndexStore;
  /** Notes (`kernel.memory`, the memory tools; default: the memory database's), indexed for search as they change. */
  notes: NoteStore;
  /**
   * Gateway tokens, the admin approvals queue, schedules and run claims, the audit chain, spend
   * and the usage log, with transactions across them (default: the kernel database's, through
   * its async view). PostgreSQL's (`openPostgresStores(...).control`) makes every process on the
   * database share one chain, one ledger and one token table.
   */
  control: ControlStoreGroup;
}

/** A selection that replaces the agent's own (--provider, --model, --base-url). */
export interface SelectionOverride {
  provider?: string;
  model?: string;
  baseURL?: string;
}

/** Limits for one spawn, over the agent's configured ones. */
export interface SpawnLimits {
  maxTurns?: number;
  maxCostUsd?: number;
  /** The setting maxCostUsd comes from (e.g. scheduler.max_cost), named in errors. */
  maxCostSource?: string;
  maxWallMs?: number;
}

/** An agent's own limits as they apply: its spawn limits over its settings. */
export interface AgentLimits {
  maxTurns: number;
  maxCostUsd?: number;
  maxCostSource?: string;
}

export interface SpawnSpec {
  prompt: string | ContentPart[];
  /** An `[agents.<name>]` entry; unset: the top-level configuration ("default"). */
  agent?: string;
  /**
   * The stored session to continue (full id, short id or a new name). Unset: a new session when
   * memory is on, unless `persist` is false.
   */
  sessionId?: string;
  /** false: a stateless run that stores nothing (the OpenAI-compatible API). Default true. */
  persist?: boolean;
  /** The user the run acts for: what it stores is theirs, recall searches only theirs. */
  userId?: string;
  /**
   * A caller's say in how the run writes its session's messages, for a caller that brackets the
   * run with writes of its own (a gateway turn of a deployment: its running record before, its
   * final record and the claim's release after). Default: each append waits for the disk.
   */
  sessionWrites?: {
    /**
     * The caller commits a write that waits for the store's disk flush after the run ends and
     * before it tells anyone the run ended. The messages are then appended `relaxed`
     * (StateWriteOptions): that write puts them on disk (the store's log is written in order),
     * and the turn does not wait for a flush of its own at each message.
     */
    relaxed?: boolean;
    /**
     * The first message is appended only once this resolves: a write of the caller's that must
     * come before the messages in the store's log, made while the session opens instead of before.
     * When it rejects, no message is appended and the run fails (persistence_error).
     */
    after?: Promise<unknown>;
    /**
     * The caller ends the turn in one store transaction of its own once the run has ended
     * (SessionStore.endTurn: its final record, the claim's release): the writes the turn would
     * make last (the audit head's copy) are handed to it instead of made on their own.
     */
    end?: TurnEndWrites;
  };
  /**
   * false: the caller shows the audit chain's head to nobody (a stateless gateway turn: no
   * session keeps a copy, and the API's answer carries none), so a run without a session does
   * not wait for its own entries' commit to name one in its outcome, which then has none. The
   * entries commit as always (each with a WAL flush), and the head file is kept as after any
   * turn. Ignored by a run with a session, whose copy must name a head on disk. Default: named.
   */
  auditHead?: false;
  /** The agent that spawned this one (delegation); its limits and cancellation cover this one. */
  parentId?: string;
  /** Earlier conversation given by the caller (stateless runs, or a chat that keeps its own). */
  history?: Message[];
  /**
   * Where the prompt came from when not the operator: a channel message (`{ kind: "channel",
   * source: "<channel>:<user>" }`; the [taint] operators' own count as the user's, a message they
   * forwarded, `relayed`, does not). Stored with the message; untrusted kinds taint the run (the
   * taint policy).
   */
  provenance?: Provenance;
  /** What the spawning agent's context held (delegation): a child of a tainted run is tainted too. */
  inheritedProvenance?: readonly Provenance[];
  limits?: SpawnLimits;
  selection?: SelectionOverride;
  /** Narrows the agent's tools to these names. */
  tools?: string[];
  /** Replaces the agent's own system prompt text (the tool list and rules are still added). */
  systemPrompt?: string;
  /** Overrides [tools] approval for this agent (--yes is "auto"). */
  approval?: 'auto' | 'ask' | 'deny';
  /**
   * Whether somebody answers approval questions (approval_requested events, approvals.respond).
   * false: a privileged call under "ask" is denied at once with how to allow it. Default false;
   * children inherit their parent's.
   */
  askApprovals?: boolean;
  /** Keep the agent after its task, idle, for more turns (send); default: it exits. */
  keepAlive?: boolean;
  /** Aborting it kills the agent (and its children). */
  signal?: AbortSignal;
}

export type AgentStatus = 'starting' | 'running' | 'idle' | 'completed' | 'failed' | 'killed';

/** What the kernel says about an agent (list, get). */
export interface AgentInfo {
  id: string;
  parentId?: string;
  /** The `[agents.<name>]` it runs, or "default". */
  name: string;
  status: AgentStatus;
  sessionId?: string;
  userId?: string;
  /** When it was spawned (ms since the epoch). */
  startedAt: number;
  /** Model calls, tokens and dollars of its own runs so far. */
  turns: number;
  usage: Usage;
  costUsd: number | null;
}

/** Lifecycle events: said once in the envelope stream besides the runs' own StreamEvents. */
export type LifecycleEvent =
  | { type: 'agent_spawned'; agentId: string; parentAgentId?: string; name: string; task: string }
  | {
      type: 'agent_exited';
      agentId: string;
      status: Extract<AgentStatus, 'completed' | 'failed' | 'killed'>;
      reason?: string;
    }
  | {
      type: 'approval_requested';
      id: string;
      agentId: string;
      tool: string;
      summary: string;
      /** Why it is asked when the call would otherwise run (the taint policy). */
      reason?: string;
      expiresAt: string;
    }
  | { type: 'approval_resolved'; id: string; agentId: string; allow: boolean; by: ApprovalResolver };

/** Who decided an approval: a person's answer, the timeout, or the run ending first. */
export type ApprovalResolver = 'respond' | 'timeout' | 'cancelled';

/** Every event the kernel publishes: one envelope around the runs' events and the lifecycle ones. */
export interface KernelEvent {
  /** Increases by one per event, across all agents of the kernel. */
  seq: number;
  agentId: string;
  parentAgentId?: string;
  sessionId?: string;
  userId?: string;
  event: StreamEvent | LifecycleEvent;
}

/** Which events a subscription wants; every field narrows. */
export interface EventFilter {
  /** This agent and all its descendants. */
  tree?: string;
  agentId?: string;
  sessionId?: string;
  userId?: string;
  types?: readonly string[];
}

export interface Subscription extends AsyncIterable<KernelEvent> {
  /** Ends the iteration; events after it are not kept. */
  close(): void;
}

/** One turn of an agent: its events (the agent's and its descendants') and its result. */
export interface TurnHandle {
  /** Ends after the turn's run_completed / run_failed (and agent_exited when the agent exits). */
  events: AsyncIterable<KernelEvent>;
  /** Settles when the turn ended and its messages are stored; never rejects. */
  result: Promise<AgentResult>;
}

export interface AgentResult extends RunResult {
  agentId: string;
  sessionId?: string;
  /** The audit chain's head when the turn ended (also recorded in its session). */
  auditHead?: { seq: number; hash: string };
}

export interface AgentHandle extends TurnHandle {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly name: string;
  readonly status: AgentStatus;
  /** The stored session, once opened (undefined for stateless runs and before the start). */
  readonly sessionId: string | undefined;
  /** A user message delivered after the current tool batch. */
  steer(text: string): void;
  /** Stops the current turn only (Ctrl+C on a chat reply); a keepAlive agent stays, idle. */
  interrupt(reason?: string): void;
  /** Another turn on an idle (keepAlive) agent, with the conversation so far. */
  send(prompt: string | ContentPart[]): TurnHandle;
  /** Kills the agent and its descendants; settles when all of them have exited. */
  cancel(reason?: string): Promise<void>;
  /** Ends an idle agent (completed). */
  close(): void;
}
