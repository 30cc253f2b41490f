/**
 * Chat Completions on the wire: the fields we send and read, after OpenAI's API reference.
 * Ours rather than the `openai` package's types, so the provider needs nothing of the SDK; the
 * answer side is loose (optional, nullable) because compatible servers leave fields out.
 */
import type { Context, JsonSchema } from '@oxydra/types';

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatAssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ChatToolCall[];
  /** DeepSeek (and vLLM/SGLang reasoning parsers) take their reasoning back in this field. */
  reasoning_content?: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | ChatAssistantMessage
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatFunctionTool {
  type: 'function';
  function: { name: string; description: string; parameters: JsonSchema };
}

/** The body of POST /chat/completions, always streamed. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: true;
  stream_options: { include_usage: boolean };
  tools?: ChatFunctionTool[];
  tool_choice?: 'auto';
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  reasoning_effort?: NonNullable<Context['reasoning']>['effort'];
}

interface ChatToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** One streamed `chat.completion.chunk`. */
export interface ChatCompletionChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  usage?: unknown;
  choices?: {
    index: number;
    delta?: { role?: string; content?: string | null; tool_calls?: ChatToolCallDelta[] | null } | null;
    finish_reason?: string | null;
  }[];
}

/** A whole `chat.completion`: what a server that ignores `stream: true` answers. */
export interface ChatCompletion {
  id?: string;
  created?: number;
  model?: string;
  usage?: unknown;
  choices?: {
    index?: number;
    finish_reason?: string | null;
    message?: { role?: string; content?: string | null; tool_calls?: ChatToolCall[] | null } | null;
  }[];
}
