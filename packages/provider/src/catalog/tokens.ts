/**
 * Token counts for context budgeting, in pure JS with gpt-tokenizer's o200k_base encoding
 * (GPT-4o and later). For Anthropic and Gemini, whose tokenizers are not public, it is an
 * estimate that is usually within ~20%; the context budget's safety buffer absorbs the rest.
 *
 * The encoder's tables are large (~130 ms to load), so they are loaded on the first count, not
 * when the package is imported. It is loaded with require() so counting stays synchronous.
 */
import { createRequire } from 'node:module';
import type { Message, ToolSpec } from '@oxydra/types';

interface Encoder {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

/** Role and delimiters around each message in chat formats (OpenAI's documented 3, plus slack). */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** The assistant turn the model is primed with after the last message. */
export const REPLY_PRIMING_TOKENS = 3;
/** Per tool definition, besides its name, description and schema. */
export const TOOL_OVERHEAD_TOKENS = 8;
/** Per tool call in an assistant message, besides its name and arguments. */
export const TOOL_CALL_OVERHEAD_TOKENS = 3;
/**
 * Inline media: APIs bill an image by its size (OpenAI ~85-1,500, Anthropic ~w*h/750, Gemini 258
 * per tile) and a PDF by its pages; the bytes alone do not say, so a flat estimate is used.
 */
export const ATTACHMENT_TOKEN_ESTIMATE = 1_000;

// Text such as "<|endoftext|>" in user content is ordinary text, not a control token.
const NO_SPECIAL_TOKENS = { disallowedSpecial: new Set<string>() };

let encoder: Encoder | undefined;

function getEncoder(): Encoder {
  if (!encoder) {
    encoder = createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as Encoder;
  }
  return encoder;
}

export function countTokens(text: string): number {
  return text === '' ? 0 : getEncoder().countTokens(text, NO_SPECIAL_TOKENS);
}

function messageTokens(message: Message): number {
  let total = MESSAGE_OVERHEAD_TOKENS;
  switch (message.role) {
    case 'system':
      return total + countTokens(message.content);
    case 'user':
      if (typeof message.content === 'string') return total + countTokens(message.content);
      for (const part of message.content) {
        total += part.type === 'text' ? countTokens(part.text) : ATTACHMENT_TOKEN_ESTIMATE;
      }
      return total;
    case 'assistant':
      total += countTokens(message.content);
      for (const call of message.toolCalls ?? []) {
        total +=
          TOOL_CALL_OVERHEAD_TOKENS +
          countTokens(call.name) +
          countTokens(call.rawArguments ?? JSON.stringify(call.arguments));
      }
      // Reasoning sent back to the API (Anthropic thinking blocks) occupies context too.
      for (const block of message.reasoning ?? []) total += countTokens(block.text);
      return total;
    case 'tool':
      return total + countTokens(message.toolName) + countTokens(message.content);
  }
}

export function countToolTokens(tools: readonly ToolSpec[]): number {
  return tools.reduce(
    (sum, tool) =>
      sum +
      TOOL_OVERHEAD_TOKENS +
      countTokens(tool.name) +
      countTokens(tool.description) +
      countTokens(JSON.stringify(tool.parameters)),
    0,
  );
}

/** Estimated prompt tokens of a request: messages, their per-message overhead, and tool definitions. */
export function countMessageTokens(messages: readonly Message[], tools?: readonly ToolSpec[]): number {
  const body = messages.reduce((sum, message) => sum + messageTokens(message), 0);
  return body + (messages.length > 0 ? REPLY_PRIMING_TOKENS : 0) + countToolTokens(tools ?? []);
}
