/**
 * Token counts for context budgeting, in pure JS with gpt-tokenizer's o200k_base encoding
 * (GPT-4o and later). For Anthropic and Gemini, whose tokenizers are not public, it is an
 * estimate that is usually within ~20%; the context budget's safety buffer absorbs the rest.
 *
 * The encoder's tables are large (~130 ms to load), so they are loaded on the first count, not
 * when the package is imported. It is loaded with require() so counting stays synchronous; the
 * work one count may do is bounded (see bounded-count.ts), since prompts are untrusted input.
 */
import type { Message, ToolSpec } from '@oxydra/types';
import { providerRequire } from '../package-files.js';
import { countTokensBounded } from './bounded-count.js';

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

interface LoadedEncoder {
  count: (text: string) => number;
  pieces: RegExp;
}

let encoder: LoadedEncoder | undefined;

function getEncoder(): LoadedEncoder {
  if (!encoder) {
    const o200k = providerRequire('gpt-tokenizer/cjs/encoding/o200k_base') as Encoder;
    // The encoder's own pre-tokenizing pattern, so long pieces are found exactly as it finds them.
    const { O200K_TOKEN_SPLIT_REGEX } = providerRequire('gpt-tokenizer/cjs/encodingParams/constants') as {
      O200K_TOKEN_SPLIT_REGEX: RegExp;
    };
    encoder = {
      count: (text) => o200k.countTokens(text, NO_SPECIAL_TOKENS),
      pieces: new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags),
    };
  }
  return encoder;
}

export function countTokens(text: string): number {
  if (text === '') return 0;
  const { count, pieces } = getEncoder();
  return countTokensBounded(text, count, pieces);
}

/** How text is measured: exact tokens, or UTF-8 bytes as an upper bound. */
type Measure = (text: string) => number;

/**
 * A BPE token always spans at least one byte, so a text's UTF-8 length is an upper bound on its
 * token count. Budget checks use it first: when the bound fits, the encoder never has to load.
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

/** At least countMessageTokens([message]) minus the reply priming, without loading the encoder. */
export function messageTokensUpperBound(message: Message): number {
  return messageTokens(message, utf8Bytes);
}

/** At least countToolTokens(tools), without loading the encoder. */
export function toolTokensUpperBound(tools: readonly ToolSpec[]): number {
  return toolTokens(tools, utf8Bytes);
}
