/**
 * Conversation messages: the one shape every provider adapter translates to and from.
 * Provider-specific replay data (Anthropic thinking signatures, Gemini thought signatures,
 * OpenAI Responses encrypted reasoning) travels in `reasoning` / `ToolCall.metadata` so a
 * conversation can be sent back to the same API without losing it. Below them, the token usage
 * of a model call.
 */

import type { Provenance } from './tools.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}

/** Inline media (image, PDF, audio...). `data` is base64; bytes are never persisted in transcripts. */
export interface AttachmentPart {
  type: 'attachment';
  mimeType: string;
  data: string;
  name?: string;
}

export type ContentPart = TextPart | AttachmentPart;

export interface ToolCall {
  /** Provider call id; Gemini has none, so adapters synthesise a stable one. */
  id: string;
  name: string;
  /** Parsed JSON arguments. Unparseable argument text is kept in `rawArguments` and `arguments` is `{}`. */
  arguments: Record<string, unknown>;
  /** The argument text exactly as streamed, when the API streams text. */
  rawArguments?: string;
  /** Opaque data the same provider needs to see again (e.g. Gemini `thoughtSignature`). */
  metadata?: Record<string, unknown>;
}

export interface ReasoningBlock {
  text: string;
  /** Anthropic thinking signature, Gemini thoughtSignature. */
  signature?: string;
  /** Reasoning the provider keeps opaque (Anthropic redacted_thinking, Responses encrypted_content). */
  encrypted?: string;
  /** Provider item id (Responses reasoning item id). */
  id?: string;
}

export interface SystemMessage {
  role: 'system';
  content: string;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  /** Where the text came from when not the operator (a channel sender); stored, never sent to a model. */
  provenance?: Provenance;
}

export interface AssistantMessage {
  role: 'assistant';
  content: string;
  toolCalls?: ToolCall[];
  reasoning?: ReasoningBlock[];
}

export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  toolName: string;
  content: string;
  isError?: boolean;
  /** What the result holds, as its tool declares it (a web page, an MCP server's answer); stored, never sent to a model. */
  provenance?: Provenance;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** The text of a message's content, attachments left out. */
export function messageText(message: Message): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .filter((part): part is TextPart => part.type === 'text')
    .map((part) => part.text)
    .join('');
}

/**
 * Token usage of one model call. A field the provider did not report stays undefined, so
 * "0 cached tokens" and "not reported" stay different.
 */
export interface Usage {
  /**
   * All prompt tokens, cache reads and writes included. OpenAI (prompt_tokens, input_tokens)
   * and Gemini (promptTokenCount) report it this way; Anthropic reports input_tokens without
   * the cache, so its adapter adds cache_read_input_tokens and cache_creation_input_tokens.
   */
  inputTokens?: number;
  /**
   * All generated tokens, reasoning included (what output is billed on). OpenAI and Anthropic
   * report it this way; Gemini's candidatesTokenCount leaves thoughts out, so its adapter adds
   * thoughtsTokenCount.
   */
  outputTokens?: number;
  totalTokens?: number;
  /** Prompt tokens read from the provider's cache (a subset of inputTokens). */
  cacheReadTokens?: number;
  /** Prompt tokens written to the provider's cache (a subset of inputTokens). */
  cacheWriteTokens?: number;
  /** Reasoning/thinking tokens (a subset of outputTokens). */
  reasoningTokens?: number;
  /** Cost in US dollars computed from the model catalog's prices; undefined when prices are unknown. */
  costUsd?: number;
  /** The provider's own usage object, for debugging and exact audits. */
  raw?: unknown;
}

const TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'costUsd',
] as const;

/** Sum two usages field by field; a field stays undefined only if both sides lack it. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {};
  for (const field of TOKEN_FIELDS) {
    const left = a[field];
    const right = b[field];
    if (left !== undefined || right !== undefined) sum[field] = (left ?? 0) + (right ?? 0);
  }
  return sum;
}
