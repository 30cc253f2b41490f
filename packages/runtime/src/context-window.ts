/**
 * Context assembly within the model's window: the system prompt, the conversation and the tool
 * definitions must fit in the window minus the answer's allowance and a safety buffer. When they
 * do not, the oldest messages go first, in whole units, so an assistant's tool calls never lose
 * their results (every API rejects a tool call without its result, or a result without its call).
 *
 * Sent in this order: system prompt, the rolling summary (when there is one), the memory snippets
 * recalled for the latest user message, then the conversation. The summary is kept whatever
 * happens; memory snippets never push out conversation: they get the room it leaves, and the
 * last snippets go first when it is not enough.
 */

import { createHash, type Hash } from 'node:crypto';
import {
  countMessageTokens,
  countToolTokens,
  type ModelInfo,
  messageTokensUpperBound,
  REPLY_PRIMING_TOKENS,
  toolTokensUpperBound,
} from '@oxydra/provider/core';
import {
  BudgetExceeded,
  describeProvenance,
  type Message,
  messageText,
  type Provenance,
  recalledUntrustedLine,
  type StreamEvent,
  type ToolSpec,
} from '@oxydra/types';
import { type Deadline, formatDuration, withDeadline } from './deadline.js';
import { abortReason } from './errors.js';

export interface ContextBudget {
  /** Tokens kept free besides the model's output allowance (runtime.context_budget.safety_buffer_tokens). */
  safetyBufferTokens: number;
  /** Window assumed when the model's is unknown (runtime.context_budget.fallback_max_context_tokens). */
  fallbackMaxContextTokens: number;
}

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
  /** Memory snippets sent (the leading ones of those recalled that fit). */
  recalled: number;
}

// Messages never change once in the conversation, so each is counted once, not per turn: by
// object first (a session's history is the same objects from turn to turn), then by content, for
// the same messages as new objects (a session read again from the database, a client's resent
// conversation), so reading them again does not mean counting them again.
const messageTokenCache = new WeakMap<Message, number>();
const toolTokenCache = new WeakMap<ToolSpec, number>();
const toolBoundCache = new WeakMap<ToolSpec, number>();

const upperBoundCache = new WeakMap<Message, number>();

/**
 * Below this many bytes (the message's upper bound) counting costs about what a content key does,
 * so such messages are just counted; above it the key is cheaper (measured ~3x at 2 KB, ~8x at
 * 20 KB).
 */
export const CONTENT_CACHE_MIN_BYTES = 1024;
/** Content keys kept at most (least recently used dropped first): ~100 bytes each. */
export const CONTENT_CACHE_ENTRIES = 10_000;
const tokensByContent = new Map<string, number>();

function upperBoundOf(message: Message): number {
  let bound = upperBoundCache.get(message);
  if (bound === undefined) {
    bound = messageTokensUpperBound(message);
    upperBoundCache.set(message, bound);
  }
  return bound;
}

/** A hash of the message's whole content: every field, so any change is another key. */
function contentKey(message: Message): string {
  const hash = createHash('sha256');
  feed(hash, message);
  return hash.digest('base64');
}

/**
 * Hashes a JSON-like value without serialising it first (JSON's escaping costs more than the
 * hash): strings and containers are length-prefixed, so different values never feed the same bytes.
 */
function feed(hash: Hash, value: unknown): void {
  if (typeof value === 'string') {
    hash.update(`s${value.length}:`);
    hash.update(value);
  } else if (Array.isArray(value)) {
    hash.update(`[${value.length}`);
    for (const item of value) feed(hash, item);
  } else if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).filter(([, field]) => field !== undefined);
    hash.update(`{${fields.length}`);
    for (const [name, field] of fields) {
      feed(hash, name);
      feed(hash, field);
    }
  } else {
    hash.update(`${typeof value}:${String(value)};`);
  }
}

function countTokensOf(message: Message): number {
  return countMessageTokens([message]) - REPLY_PRIMING_TOKENS;
}

/** Exact tokens of one message in a prompt (without the reply priming), counted once per message. */
export function tokensOf(message: Message): number {
  let tokens = messageTokenCache.get(message);
  if (tokens !== undefined) return tokens;
  if (upperBoundOf(message) < CONTENT_CACHE_MIN_BYTES) {
    tokens = countTokensOf(message);
  } else {
    const key = contentKey(message);
    tokens = tokensByContent.get(key);
    if (tokens === undefined) tokens = countTokensOf(message);
    else tokensByContent.delete(key);
    tokensByContent.set(key, tokens);
    if (tokensByContent.size > CONTENT_CACHE_ENTRIES) {
      tokensByContent.delete(tokensByContent.keys().next().value as string);
    }
  }
  messageTokenCache.set(message, tokens);
  return tokens;
}

/** toolTokensUpperBound per tool, computed once per spec object (registries hand out the same ones). */
function toolBoundOf(tools: readonly ToolSpec[]): number {
  let total = 0;
  for (const tool of tools) {
    let bound = toolBoundCache.get(tool);
    if (bound === undefined) {
      bound = toolTokensUpperBound([tool]);
      toolBoundCache.set(tool, bound);
    }
    total += bound;
  }
  return total;
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

export interface PromptEstimate {
  tokens: number;
  /** False when `tokens` is the byte-length upper bound. */
  exact: boolean;
}

/**
 * Prompt tokens of `messages` plus the tool definitions. The UTF-8 size bounds the token count
 * from above, so when even the bound is within `threshold` the tokenizer (~130 ms and ~50 MB to
 * load) is not needed at all: typical short runs never load it. Otherwise the count is exact.
 */
export function estimatePrompt(
  messages: readonly Message[],
  tools: readonly ToolSpec[],
  threshold: number,
): PromptEstimate {
  const bound =
    toolBoundOf(tools) +
    REPLY_PRIMING_TOKENS +
    messages.reduce((sum, message) => sum + upperBoundOf(message), 0);
  if (bound <= threshold) return { tokens: bound, exact: false };
  const exact =
    toolTokensOf(tools) +
    REPLY_PRIMING_TOKENS +
    messages.reduce((sum, message) => sum + tokensOf(message), 0);
  return { tokens: exact, exact: true };
}

/** What is sent besides the conversation itself. */
export interface ContextExtras {
  /** System messages right after the system prompt, always kept (the rolling summary). */
  preamble?: readonly Message[];
  /** Memory snippets for one transient system message; they only get the room the conversation leaves. */
  recall?: readonly Recalled[];
}

/**
 * The whole prompt, before any trimming: system prompt, preamble, recalled memory, conversation.
 * The summarization trigger measures exactly this, so it sees what fitContext would have to fit.
 */
export function contextMessages(
  systemPrompt: string,
  conversation: readonly Message[],
  extras: ContextExtras = {},
): Message[] {
  const recall = extras.recall ?? [];
  return [
    { role: 'system', content: systemPrompt },
    ...(extras.preamble ?? []),
    ...(recall.length > 0 ? [recallMessage(recall)] : []),
    ...conversation,
  ];
}

export interface Unit {
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
export function splitUnits(conversation: readonly Message[]): Unit[] {
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
  extras: ContextExtras = {},
): FittedContext {
  const snippets = extras.recall ?? [];
  const { limit, window, reservedOutput, safetyBuffer } = promptLimit(model, budget);
  const everything = contextMessages(systemPrompt, conversation, extras);
  const whole = estimatePrompt(everything, tools, limit);
  if (whole.tokens <= limit) {
    return {
      messages: everything,
      promptTokens: whole.tokens,
      exact: whole.exact,
      dropped: 0,
      recalled: snippets.length,
    };
  }

  // Too big: the conversation is fitted first, and recalled memory only gets the room it leaves.
  const head: Message[] = [{ role: 'system', content: systemPrompt }, ...(extras.preamble ?? [])];
  const units = splitUnits(conversation);
  const fixed = head.reduce((sum, m) => sum + tokensOf(m), 0) + toolTokensOf(tools) + REPLY_PRIMING_TOKENS;
  const pinned = units.filter((u) => u.pinned).reduce((sum, u) => sum + u.tokens, 0);
  let total = fixed + units.reduce((sum, u) => sum + u.tokens, 0);
  const kept = new Set(units);
  let dropped = 0;

  if (total > limit) {
    const floor = fixed + pinned + tokensOf(TRIMMED_NOTE);
    if (floor > limit) {
      const summary = head.length > 1 ? ' (with the rolling summary)' : '';
      throw new BudgetExceeded(
        'tokens',
        limit,
        floor,
        `context window exceeded: the system prompt${summary}, tool definitions and the latest user message need ` +
          `about ${floor} tokens, but ${model.id} leaves ${limit} for the prompt (${window} context - ` +
          `${reservedOutput} reserved for the answer - ${safetyBuffer} safety buffer); shorten the prompt ` +
          `or its attachments, or use a model with a larger window`,
      );
    }
    total += tokensOf(TRIMMED_NOTE);
    for (const candidate of units) {
      if (total <= limit) break;
      if (candidate.pinned) continue;
      kept.delete(candidate);
      total -= candidate.tokens;
      dropped += candidate.messages.length;
    }
  }

  const recall = fitRecall(snippets, limit - total);
  const messages = [
    ...head,
    ...(recall.message ? [recall.message] : []),
    ...(dropped > 0 ? [TRIMMED_NOTE] : []),
    ...units.filter((u) => kept.has(u)).flatMap((u) => u.messages),
  ];
  return { messages, promptTokens: total + recall.tokens, exact: true, dropped, recalled: recall.count };
}

/** The most leading snippets whose message fits in `room` tokens; later ones are dropped first. */
function fitRecall(
  snippets: readonly Recalled[],
  room: number,
): { message?: Message; tokens: number; count: number } {
  for (let count = snippets.length; count > 0; count--) {
    const message = recallMessage(snippets.slice(0, count));
    const tokens = tokensOf(message);
    if (tokens <= room) return { message, tokens, count };
  }
  return { tokens: 0, count: 0 };
}

/**
 * Memory recall. Before a model call whose latest user message is new, the caller's `recall` hook
 * is asked for snippets about that message; they reach the model as one transient system message
 * (never persisted, never in RunResult.messages). One query per user message: the later steps of
 * the same task reuse the answer, so a tool-heavy task does not search memory on every call.
 *
 * A failing or slow recall is reported (an `error` event, code memory_recall_failed) and the run
 * goes on without memory: recall improves an answer, no answer depends on it.
 */
export const RECALL_HEADER = 'Relevant context from memory:';
export const RECALL_FAILED = 'memory_recall_failed';

/**
 * A snippet written while its run's context held untrusted content (a fetched page, an MCP
 * answer: the caller's policy says which): `provenance` names those sources as this run should
 * record them (where they were recalled from), and the snippet is shown as untrusted.
 */
export interface TaintedSnippet {
  text: string;
  provenance: readonly Provenance[];
}

/** A plain string is a clean snippet, sent as ever. */
export type Recalled = string | TaintedSnippet;

export type RecallHook = (query: string, signal: AbortSignal) => Promise<Recalled[]>;

/**
 * Clean snippets as they always were; tainted ones after them, below one line saying that
 * everything after it, to the end of the message, is untrusted (as the web tools show a page:
 * no closing marker a snippet could forge). The leading snippets are the ones kept when the
 * window is short (fitContext), so tainted ones go last: the first to be left out.
 */
export function recallMessage(snippets: readonly Recalled[]): Message {
  const lines = [RECALL_HEADER];
  const sources: string[] = [];
  for (const snippet of snippets) {
    if (typeof snippet === 'string') lines.push(`- ${snippet}`);
    else sources.push(...snippet.provenance.map((p) => describeProvenance(p)));
  }
  if (sources.length > 0) {
    const named = [...new Set(sources)];
    const shown = named.slice(0, 3).join('; ') + (named.length > 3 ? `; and ${named.length - 3} more` : '');
    lines.push(recalledUntrustedLine(shown, 'message'));
    for (const snippet of snippets) if (typeof snippet !== 'string') lines.push(`- ${snippet.text}`);
  }
  return { role: 'system', content: lines.join('\n') };
}

export class MemoryRecall {
  /** The user message the cached snippets were recalled for. */
  private askedFor: Message | undefined;
  /** Its recall, kept as the call in flight: a second ask while it runs waits for the same answer. */
  private snippets: Promise<Recalled[]> = Promise.resolve([]);

  constructor(
    private readonly hook: RecallHook,
    private readonly limits: Deadline,
    private readonly emit: (event: StreamEvent) => void,
    /** Told each source of a tainted snippet as it is recalled: the run's context holds it now. */
    private readonly onTaint: (provenance: Provenance) => void,
  ) {}

  /** The snippets for the latest user message in `messages`, recalled on its first call only. */
  snippetsFor(messages: readonly Message[]): Promise<Recalled[]> {
    const latest = messages.findLast((m) => m.role === 'user');
    if (latest === undefined) return Promise.resolve([]);
    if (latest === this.askedFor) return this.snippets;
    // Cached before the call, failures included: a broken store is reported once per message,
    // not once per model call.
    this.askedFor = latest;
    this.snippets = this.ask(messageText(latest).trim());
    return this.snippets;
  }

  private async ask(query: string): Promise<Recalled[]> {
    if (query === '') return [];
    let found: Recalled[];
    try {
      found = await withDeadline(
        (signal) => this.hook(query, signal),
        this.limits,
        () => new Error(`it did not answer within ${formatDuration(this.limits.timeoutMs)}`),
      );
    } catch (error) {
      if (this.limits.signal.aborted) throw abortReason(this.limits.signal);
      const reason = error instanceof Error ? error.message : String(error);
      this.emit({
        type: 'error',
        code: RECALL_FAILED,
        message: `memory recall failed, going on without it: ${reason}`,
        retriable: true,
      });
      return [];
    }
    const clean: Recalled[] = [];
    const tainted: TaintedSnippet[] = [];
    for (const snippet of found) {
      const text = (typeof snippet === 'string' ? snippet : snippet.text).trim();
      if (text === '') continue;
      if (typeof snippet === 'string' || snippet.provenance.length === 0) clean.push(text);
      else tainted.push({ text, provenance: snippet.provenance });
    }
    if (tainted.length === 0) return clean;
    // Recorded when recalled, whether or not the window leaves the snippet room: the policy errs
    // on the side of asking.
    for (const snippet of tainted) for (const provenance of snippet.provenance) this.onTaint(provenance);
    return [...clean, ...tainted];
  }
}
