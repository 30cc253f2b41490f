import type { Usage } from './usage.js';

/**
 * The one event model used end to end: provider adapters yield these, the runtime emits
 * them, `oxydra run --json` prints them, and the gateway maps them to protocol frames.
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

export type StreamEvent =
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallStartEvent
  | ToolCallDeltaEvent
  | ToolCallEndEvent
  | UsageEvent
  | FinishEvent
  | ProgressStreamEvent
  | ErrorEvent;

export type StreamEventType = StreamEvent['type'];
