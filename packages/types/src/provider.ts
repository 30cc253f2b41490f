import type { AssistantMessage, Message, ToolCall, Usage } from './messages.js';
import type { FinishReason, ModelEvent } from './stream.js';
import type { ToolSpec } from './tools.js';
import type { ProviderType } from './wire-facts.js';

export { PROVIDER_TYPES, type ProviderType } from './wire-facts.js';

/** Everything a model call needs. System messages may appear anywhere; adapters place them as each API wants. */
export interface Context {
  model: string;
  messages: Message[];
  tools?: ToolSpec[];
  maxOutputTokens?: number;
  temperature?: number;
  /** Reasoning effort / thinking budget hint for models that support it. */
  reasoning?: { effort?: 'low' | 'medium' | 'high'; budgetTokens?: number };
}

export interface StreamOptions {
  signal?: AbortSignal;
}

/** A model's answer assembled from its stream. */
export interface ProviderResponse {
  message: AssistantMessage;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  rawFinishReason?: string | null;
  finishDetails?: Record<string, unknown>;
  usage: Usage;
}

export interface ModelCapabilities {
  contextWindow?: number;
  maxOutputTokens?: number;
  supportsTools: boolean;
  supportsReasoning: boolean;
  /** Input modalities, e.g. ["text", "image", "pdf"]. */
  inputModalities: string[];
}

export interface Provider {
  /** Registry name, e.g. "openai" or a user's "openrouter". */
  readonly name: string;
  readonly type: ProviderType;
  /** Stream a response as normalised events. Errors are thrown as ProviderError. */
  stream(context: Context, options?: StreamOptions): AsyncIterable<ModelEvent>;
}
