/**
 * Conversation messages: the one shape every provider adapter translates to and from.
 * Provider-specific replay data (Anthropic thinking signatures, Gemini thought signatures,
 * OpenAI Responses encrypted reasoning) travels in `reasoning` / `ToolCall.metadata` so a
 * conversation can be sent back to the same API without losing it.
 */

import type { Provenance } from './provenance.js';

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
