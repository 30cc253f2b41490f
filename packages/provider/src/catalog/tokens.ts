/**
 * Token counts for context budgeting. They are estimates, computed without any tokenizer tables:
 * estimate.ts cuts the text into the pieces of OpenAI's o200k_base pre-tokenizer (GPT-4o and
 * later) and costs each by its kind, length and script, a little over the exact o200k count
 * (measured 3-10% over per kind of text; `node bench/tokens.mjs`). For Anthropic and Gemini,
 * whose tokenizers are not public, o200k is itself an approximation; the context budget's safety
 * buffer absorbs the rest.
 *
 * Counting is synchronous, linear and cheap (no table to load), and its work per text is bounded
 * (see bounded-count.ts), since prompts are untrusted input.
 */
import type { Message, ToolSpec } from '@oxydra/types';
import { countTokensBounded } from './bounded-count.js';
import { estimateTokens } from './estimate.js';

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

/** Estimated o200k tokens of `text`, a little over the exact count, and never over utf8Bytes(text). */
export function countTokens(text: string): number {
  if (text === '') return 0;
  return countTokensBounded(text, estimateTokens);
}

/** How text is measured: estimated tokens, or UTF-8 bytes as an upper bound. */
type Measure = (text: string) => number;

/**
 * A BPE token always spans at least one byte, so a text's UTF-8 length is an upper bound on its
 * token count, and countTokens never exceeds it either. Budget checks use it first: when the
 * bound fits, nothing has to be counted.
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function messageTokens(message: Message, measure: Measure): number {
  let total = MESSAGE_OVERHEAD_TOKENS;
  switch (message.role) {
    case 'system':
      return total + measure(message.content);
    case 'user':
      if (typeof message.content === 'string') return total + measure(message.content);
      for (const part of message.content) {
        total += part.type === 'text' ? measure(part.text) : ATTACHMENT_TOKEN_ESTIMATE;
      }
      return total;
    case 'assistant':
      total += measure(message.content);
      for (const call of message.toolCalls ?? []) {
        total +=
          TOOL_CALL_OVERHEAD_TOKENS +
          measure(call.name) +
          measure(call.rawArguments ?? JSON.stringify(call.arguments));
      }
      // Reasoning sent back to the API (Anthropic thinking blocks) occupies context too.
      for (const block of message.reasoning ?? []) total += measure(block.text);
      return total;
    case 'tool':
      return total + measure(message.toolName) + measure(message.content);
  }
}

function toolTokens(tools: readonly ToolSpec[], measure: Measure): number {
  return tools.reduce(
    (sum, tool) =>
      sum +
      TOOL_OVERHEAD_TOKENS +
      measure(tool.name) +
      measure(tool.description) +
      measure(JSON.stringify(tool.parameters)),
    0,
  );
}

export function countToolTokens(tools: readonly ToolSpec[]): number {
  return toolTokens(tools, countTokens);
}

/** Estimated prompt tokens of a request: messages, their per-message overhead, and tool definitions. */
export function countMessageTokens(messages: readonly Message[], tools?: readonly ToolSpec[]): number {
  const body = messages.reduce((sum, message) => sum + messageTokens(message, countTokens), 0);
  return body + (messages.length > 0 ? REPLY_PRIMING_TOKENS : 0) + countToolTokens(tools ?? []);
}

/** At least countMessageTokens([message]) minus the reply priming, without counting. */
export function messageTokensUpperBound(message: Message): number {
  return messageTokens(message, utf8Bytes);
}

/** At least countToolTokens(tools), without counting. */
export function toolTokensUpperBound(tools: readonly ToolSpec[]): number {
  return toolTokens(tools, utf8Bytes);
}
