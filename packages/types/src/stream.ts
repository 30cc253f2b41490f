import type { Usage } from './messages.js';

/**
 * The event contract's version: every `oxydra run --json` line carries it as `v`. Its zod
 * schemas are in `@oxydra/types/events` (src/events/v1); a breaking change is a v2 folder.
 */
export const EVENT_CONTRACT_VERSION = 1;

/**
 * The event model, in two parts: provider adapters yield `ModelEvent`s (text, reasoning,
 * tool-call deltas, usage, finish, retry progress); the runtime passes them on and adds
 * `RunEvent`s (turn_start, tool_execution_start/end, user_message, run_completed/run_failed).
 * `oxydra run --json` prints the union one per line, and the gateway maps it to protocol frames.
 */

/** Normalised reason a model stopped. `rawReason` on the event keeps the provider's own value. */
export type FinishReason =
  | 'stop'
  | 'tool_calls'
  | 'length'
  | 'content_filter'
  | 'refusal'
  | 'error'
  | 'other';

export type ProgressKind =
  | 'provider_call'
  | 'tool_execution'
  | 'tool_heartbeat'
  /** A tool's own report while it runs (ToolContext.onProgress): a remote agent's progress. */
  | 'tool_report'
  | 'rolling_summary'
  | 'retry';

export interface ProgressEvent {
  kind: ProgressKind;
  /** Human-readable line, e.g. "[2/8] Executing tools: file_read". */
  message: string;
  turn?: number;
  maxTurns?: number;
  toolNames?: string[];
  elapsedMs?: number;
}

export interface TextDeltaEvent {
  type: 'text_delta';
  text: string;
}

export interface ReasoningDeltaEvent {
  type: 'reasoning_delta';
  text: string;
  /** Set once a reasoning block is complete and the provider signed it. */
  signature?: string;
  /** Opaque reasoning (Responses encrypted_content, Anthropic redacted_thinking). */
  encrypted?: string;
  /** Provider item id, for replaying reasoning items. */
  id?: string;
}

export interface ToolCallStartEvent {
  type: 'tool_call_start';
  /** Position of the call within this response; deltas and the end event carry the same index. */
  index: number;
  id: string;
  name: string;
}

export interface ToolCallDeltaEvent {
  type: 'tool_call_delta';
  index: number;
  argumentsDelta: string;
}

export interface ToolCallEndEvent {
  type: 'tool_call_end';
  index: number;
  id: string;
  name: string;
  /** Parsed arguments; `{}` when the text was empty. */
  arguments: Record<string, unknown>;
  rawArguments: string;
  /** Set when the argument text was not valid JSON, so the runtime can hand the error back to the model. */
  parseError?: string;
  metadata?: Record<string, unknown>;
}

export interface UsageEvent {
  type: 'usage';
  usage: Usage;
}

export interface FinishEvent {
  type: 'finish';
  reason: FinishReason;
  /** The provider's own value (chat finish_reason, Responses status, Anthropic stop_reason, Gemini finishReason). */
  rawReason?: string | null;
  /** Extra detail the provider gave (Anthropic stop_details, Gemini promptFeedback.blockReason). */
  details?: Record<string, unknown>;
}

export interface ProgressStreamEvent {
  type: 'progress';
  progress: ProgressEvent;
}

export interface ErrorEvent {
  type: 'error';
  /** Stable error code (see errors.ts). */
  code: string;
  message: string;
  /** ProviderError kind when the error came from a provider. */
  kind?: string;
  retriable?: boolean;
}

/** The runtime starts running one tool call (after the model finished asking for it). */
export interface ToolExecutionStartEvent {
  type: 'tool_execution_start';
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** A tool call finished; `content` is what goes back to the model (truncated and scrubbed), `data` what UIs get. */
export interface ToolExecutionEndEvent {
  type: 'tool_execution_end';
  id: string;
  name: string;
  isError: boolean;
  content: string;
  durationMs: number;
  /**
   * The tool result's structured data (paths, counts, exit codes; never sent to the model),
   * scrubbed of secrets like `content` and bounded: a JSON value of at most 16 KiB.
   */
  data?: unknown;
  /** Set instead of `data` when the data was over the bound (its JSON size) or not JSON (-1). */
  dataOmittedBytes?: number;
}

/** The runtime begins model call `turn` of at most `maxTurns` in this run. */
export interface TurnStartEvent {
  type: 'turn_start';
  turn: number;
  maxTurns: number;
}

/** A queued user message (steering or follow-up) entered the conversation. */
export interface UserMessageEvent {
  type: 'user_message';
  text: string;
  kind: 'steering' | 'follow_up';
}

/** The last event of a run: `oxydra run --json` prints it as its final line. */
export interface RunEndEvent {
  type: 'run_completed' | 'run_failed';
  /** The answer: every model call's text in order, a paragraph (\n\n) apart, exactly as text_delta streamed it. */
  text: string;
  usage: Usage;
  /** What the run cost in US dollars; null when a model's prices are unknown. */
  costUsd: number | null;
  /** Model calls made. */
  turns: number;
  /** The session the run was saved in (continue it with --session), when memory is on. */
  sessionId?: string;
  /**
   * The audit chain's head when the run ended (the kernel records it here and in the session),
   * so a later `oxydra audit verify` given it detects a removed or rewritten tail.
   */
  auditHead?: { seq: number; hash: string };
  /** Why the run failed: a stable code (budget_exceeded, provider_error, cancelled...) and a message. */
  error?: { code: string; message: string; kind?: string; retryAfterMs?: number; attempts?: number };
}

/**
 * What a provider adapter may yield: the model's own output, the retry progress the reliability
 * wrappers add, and an in-band error (the runtime fails the call on it; the AI SDK's stream parts
 * carry one too). `Provider.stream` returns only these, so an adapter that yields a run event
 * (turn start, tool execution, user message, run end) fails to compile. The runtime also emits
 * `progress` and `error` itself; they stay model events because a provider may yield them.
 */
export type ModelEvent =
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallStartEvent
  | ToolCallDeltaEvent
  | ToolCallEndEvent
  | UsageEvent
  | FinishEvent
  | ProgressStreamEvent
  | ErrorEvent;

/** What the runtime and the kernel add around the model's events while they run an agent. */
export type RunEvent =
  | TurnStartEvent
  | ToolExecutionStartEvent
  | ToolExecutionEndEvent
  | UserMessageEvent
  | RunEndEvent;

/**
 * Everything a run shows its host: the model's events passed through plus the run's own.
 * Used only where a consumer takes both (the runtime's emit, the kernel's bus, `--json`, gateway frames).
 */
export type StreamEvent = ModelEvent | RunEvent;

export type StreamEventType = StreamEvent['type'];
export type ModelEventType = ModelEvent['type'];
export type RunEventType = RunEvent['type'];
