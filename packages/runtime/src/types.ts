/** The runtime's public contract: what a caller passes to start a run and what it gets back. */
import type { ModelInfo } from '@oxydra/provider/core';
import type {
  ContentPart,
  Message,
  Provenance,
  Provider,
  StreamEvent,
  ToolContext,
  ToolExecutor,
  Usage,
} from '@oxydra/types';
import type { ContextBudget, RecallHook } from './context-window.js';
import type { Clock } from './deadline.js';
import type { PersistHook } from './persist.js';
import type { ContextHook } from './provided-context.js';
import type { StateTransition } from './state.js';
import type { SummarizationOptions } from './summarize.js';

export type { ContextBudget };

export interface RunBudgets {
  /** Model calls allowed in the run (runtime.max_turns). */
  maxTurns: number;
  /** US dollars for the whole run (runtime.max_cost); unset: no limit. */
  maxCostUsd?: number;
  /** Limit for each provider call and (unless the tool declares its own) each tool call. */
  turnTimeoutMs: number;
  /** Limit for the whole run, follow-ups included. */
  maxWallMs?: number;
}

/**
 * Limits shared with other runs (a parent agent's, which its children's spending counts
 * against). The run charges every call to it and asks it before each call and before going on;
 * a throw (BudgetExceeded) stops the run exactly as its own limits would.
 */
export interface BudgetLedger {
  /**
   * A model call is about to start; throws (or rejects) when a shared turn limit is used up.
   * Awaited: a ledger may reserve the call's cost against caps kept in a store.
   */
  countCall(): void | Promise<void>;
  /** Adds a finished (or interrupted) call's priced usage. */
  charge(usage: Usage): void;
  /** Throws when a shared limit is used up or `nextCallUsd` more would cross a dollar limit. */
  check(nextCallUsd?: number): void;
}

export interface AgentRunOptions {
  provider: Provider;
  /** The model called: its id, context window, output limit and prices. */
  model: ModelInfo;
  tools: ToolExecutor;
  /** Absolute path, handed to tools in their ToolContext. */
  workspace: string;
  systemPrompt: string;
  /** Earlier conversation (a continued session, a chat). */
  history?: Message[];
  prompt: string | ContentPart[];
  /** Where the prompt came from when not the operator (a channel sender): stored with it, and it taints the run. */
  promptProvenance?: Provenance;
  /** What the context of the run that started this one held (delegation): taints this run alike. */
  inheritedProvenance?: readonly Provenance[];
  /** Told each distinct provenance as it enters the context (the kernel audits it). Must not throw. */
  onProvenance?: (provenance: Provenance) => void;
  budgets: RunBudgets;
  /** Limits shared with other runs (sub-agents count against their parent's); unset: none. */
  ledger?: BudgetLedger;
  contextBudget?: ContextBudget;
  signal?: AbortSignal;
  approve?: ToolContext['approve'];
  sessionId?: string;
  userId?: string;
  /** The kernel agent this run belongs to: handed to tools in their ToolContext. */
  agentId?: string;
  /** Interval of tool heartbeat progress events while tools run; default 5000. */
  heartbeatMs?: number;
  /** Injectable time source for tests; default the system clock. */
  clock?: Clock;
  /**
   * Called with every event as it happens, in order, besides `events` (a host that forwards
   * events, like the kernel, saves an async iteration per event). Must not throw.
   */
  onEvent?: (event: StreamEvent) => void;
  /** Called on every state transition of the loop (debug logging, tests). */
  onStateChange?: (transition: StateTransition) => void;
  /**
   * Saves each completed unit of the conversation as soon as it is final, and is awaited before
   * the loop goes on: the user prompt; each steering or follow-up delivery; each assistant message
   * with all of its tool results (on a stop, with the "no result" stand-ins). A throw fails the
   * run with persistence_error. `history` is not passed again: it is already stored.
   */
  persist?: PersistHook;
  /**
   * Memory for the latest user message: called once per user message with its text; the snippets
   * go to the model as one transient system message "Relevant context from memory:", in the room
   * the conversation leaves. A failure is an `error` event (memory_recall_failed) and the run goes on.
   */
  recall?: RecallHook;
  /**
   * Before each model call: transient system messages from the caller (plugins' context
   * providers), sent after the rolling summary and never persisted. A failure is an `error`
   * event (context_provider_failed) and the call goes on without them.
   */
  context?: ContextHook;
  /** Rolling summarization of older messages when the prompt nears the window; unset: none. */
  summarization?: SummarizationOptions;
}

export type RunStatus = 'completed' | 'failed' | 'cancelled';

export interface RunResult {
  status: RunStatus;
  /** The final assistant text (on failure: the last text the model produced). */
  text: string;
  /** Summed over the run's model calls. */
  usage: Usage;
  /** Summed dollar cost; null when any call's cost is unknown. */
  costUsd: number | null;
  /** Model calls made. */
  turns: number;
  error?: { code: string; message: string; kind?: string };
  /** `history` plus everything this run added (user prompts, assistant messages, tool results). */
  messages: Message[];
}

export interface AgentRun {
  /** Every event of the run, ending with exactly one run_completed or run_failed. */
  events: AsyncIterable<StreamEvent>;
  /** Settles when the run ends; never rejects. */
  result: Promise<RunResult>;
  /** Delivered as a user message after the current tool batch (or right after an answer). */
  steer(text: string): void;
  /** Queued; runs as a new user message after the current task's final answer, in the same run. */
  followUp(text: string): void;
  /** Aborts the model call and running tools; the run ends with run_failed code "cancelled". */
  cancel(reason?: string): void;
}
