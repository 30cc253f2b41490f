/**
 * Context assembly within the model's window: the system prompt, the conversation and the tool
 * definitions must fit in the window minus the answer's allowance and a safety buffer. When they
 * do not, the oldest messages go first, in whole units, so an assistant's tool calls never lose
 * their results (every API rejects a tool call without its result, or a result without its call).
 */
import {
  countMessageTokens,
  countToolTokens,
  type ModelInfo,
  messageTokensUpperBound,
  REPLY_PRIMING_TOKENS,
  toolTokensUpperBound,
} from '@oxydra/provider';
import { BudgetExceeded, type Message, type ToolSpec } from '@oxydra/types';
import type { ContextBudget } from './types.js';

export const DEFAULT_CONTEXT_BUDGET: ContextBudget = {
  safetyBufferTokens: 1024,
  fallbackMaxContextTokens: 128_000,
};

/** Tells the model its view starts mid-conversation, so it does not mistake it for the whole story. */
export const TRIMMED_NOTE: Message = {
  role: 'system',
  content: 'Earlier messages of this conversation were left out to fit the context window.',
};

export interface PromptLimit {
  /** Prompt tokens allowed. */
  limit: number;
  window: number;
  reservedOutput: number;
  safetyBuffer: number;
}

export function promptLimit(model: ModelInfo, budget: ContextBudget): PromptLimit {
  const window = model.capabilities.contextWindow ?? budget.fallbackMaxContextTokens;
  // Some catalog entries give an output limit as large as the window itself; reserving all of it
  // would leave no room for a prompt, so the answer's allowance is capped at half the window.
  const reservedOutput = Math.min(model.capabilities.maxOutputTokens ?? 0, Math.floor(window / 2));
  let limit = window - reservedOutput - budget.safetyBufferTokens;
  if (model.maxInputTokens !== undefined) {
    limit = Math.min(limit, model.maxInputTokens - budget.safetyBufferTokens);
  }
  return { limit: Math.max(0, limit), window, reservedOutput, safetyBuffer: budget.safetyBufferTokens };
}

export interface FittedContext {
  messages: Message[];
  /** Estimated prompt tokens of `messages` plus the tool definitions (an upper bound unless `exact`). */
  promptTokens: number;
  /** False when promptTokens is the byte-length upper bound (everything fitted without tokenizing). */
  exact: boolean;
  /** Conversation messages left out. */
  dropped: number;
}

// Messages never change once in the conversation, so each is tokenised once per run, not per turn.
const messageTokenCache = new WeakMap<Message, number>();
const toolTokenCache = new WeakMap<ToolSpec, number>();

const upperBoundCache = new WeakMap<Message, number>();

function upperBoundOf(message: Message): number {
  let bound = upperBoundCache.get(message);
  if (bound === undefined) {
    bound = messageTokensUpperBound(message);
    upperBoundCache.set(message, bound);
  }
  return bound;
}

function tokensOf(message: Message): number {
  let tokens = messageTokenCache.get(message);
  if (tokens === undefined) {
    tokens = countMessageTokens([message]) - REPLY_PRIMING_TOKENS;
    messageTokenCache.set(message, tokens);
  }
  return tokens;
}

function toolTokensOf(tools: readonly ToolSpec[]): number {
  let total = 0;
  for (const tool of tools) {
    let tokens = toolTokenCache.get(tool);
    if (tokens === undefined) {
      tokens = countToolTokens([tool]);
      toolTokenCache.set(tool, tokens);
    }
    total += tokens;
  }
  return total;
}

interface Unit {
  messages: Message[];
  tokens: number;
  /** Kept whatever happens: system messages and the latest user message. */
  pinned: boolean;
}

function unit(messages: Message[], pinned: boolean): Unit {
  return { messages, tokens: messages.reduce((sum, m) => sum + tokensOf(m), 0), pinned };
}

/**
 * The conversation in droppable units, oldest first. Before the latest user message a unit is a
 * whole exchange (a user message and everything up to the next one), so what remains still starts
 * with a user message; after it, each assistant message with its tool results is a unit, so a long
 * task can shed its oldest steps while the request that started it stays.
 */
function splitUnits(conversation: readonly Message[]): Unit[] {
  let latestUser = -1;
  conversation.forEach((message, i) => {
    if (message.role === 'user') latestUser = i;
  });
  const units: Unit[] = [];
  let open: Message[] | undefined;
  const flush = () => {
    if (open) units.push(unit(open, false));
    open = undefined;
  };
  conversation.forEach((message, i) => {
    if (message.role === 'system' || i === latestUser) {
      flush();
      units.push(unit([message], true));
      return;
    }
    const startsUnit = i < latestUser ? message.role === 'user' : message.role !== 'tool';
    if (startsUnit || !open) {
      flush();
      open = [message];
    } else {
      open.push(message);
    }
  });
  flush();
  return units;
}

export function fitContext(
  systemPrompt: string,
  conversation: readonly Message[],
  tools: readonly ToolSpec[],
  model: ModelInfo,
  budget: ContextBudget,
): FittedContext {
  const system: Message = { role: 'system', content: systemPrompt };
  const { limit, window, reservedOutput, safetyBuffer } = promptLimit(model, budget);
  // Fast path: the UTF-8 size bounds the token count from above, so when even the bound fits, the
  // tokenizer (~130 ms and ~50 MB to load) is not needed at all. Typical short runs never load it.
  const bound =
    messageTokensUpperBound(system) +
    toolTokensUpperBound(tools) +
    REPLY_PRIMING_TOKENS +
    conversation.reduce((sum, message) => sum + upperBoundOf(message), 0);
  if (bound <= limit) {
    return { messages: [system, ...conversation], promptTokens: bound, exact: false, dropped: 0 };
  }
  const units = splitUnits(conversation);
  const fixed = tokensOf(system) + toolTokensOf(tools) + REPLY_PRIMING_TOKENS;
  const pinned = units.filter((u) => u.pinned).reduce((sum, u) => sum + u.tokens, 0);
  let total = fixed + units.reduce((sum, u) => sum + u.tokens, 0);

  if (total <= limit) {
    return { messages: [system, ...conversation], promptTokens: total, exact: true, dropped: 0 };
  }
  const floor = fixed + pinned + tokensOf(TRIMMED_NOTE);
  if (floor > limit) {
    throw new BudgetExceeded(
      'tokens',
      limit,
      floor,
      `context window exceeded: the system prompt, tool definitions and the latest user message need ` +
        `about ${floor} tokens, but ${model.id} leaves ${limit} for the prompt (${window} context - ` +
        `${reservedOutput} reserved for the answer - ${safetyBuffer} safety buffer); shorten the prompt ` +
        `or its attachments, or use a model with a larger window`,
    );
  }

  total += tokensOf(TRIMMED_NOTE);
  const kept = new Set(units);
  let dropped = 0;
  for (const candidate of units) {
    if (total <= limit) break;
    if (candidate.pinned) continue;
    kept.delete(candidate);
    total -= candidate.tokens;
    dropped += candidate.messages.length;
  }
  const messages = [system, TRIMMED_NOTE, ...units.filter((u) => kept.has(u)).flatMap((u) => u.messages)];
  return { messages, promptTokens: total, exact: true, dropped };
}
