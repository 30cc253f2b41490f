/**
 * Gemini stream chunks → StreamEvents. Gemini sends whole parts, not deltas of one message:
 * text parts, `thought: true` parts (reasoning), and functionCall parts that are either complete
 * (`{name, args}`) or streamed (Vertex: `{name, willContinue}` → `{partialArgs}`… → `{}`).
 */

import type { FinishReason, ModelEvent, Usage } from '@oxydra/types';
import { streamEndedEarly } from '../../shared/errors.js';
import { field, makeUsage, sumReported, ToolCallAssembler } from '../../shared/events.js';
import { applyPartialArg } from './partial-args.js';
import { GEMINI_CALL_ID, type GeminiFunctionCall, type GeminiPart, THOUGHT_SIGNATURE } from './request.js';

interface GeminiCandidate {
  content?: { parts?: GeminiPart[] | null; role?: string } | null;
  finishReason?: string | null;
  /** With finishReason CONTINUATION: send the request again with it to go on (provider.ts). */
  continuationToken?: string | null;
}

/** One streamed GenerateContentResponse (the fields read here), as parsed from the wire. */
export interface GeminiChunk {
  candidates?: (GeminiCandidate | null)[] | null;
  usageMetadata?: unknown;
  promptFeedback?: { blockReason?: string | null; blockReasonMessage?: string | null } | null;
}

/** A plain object (not null, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `[{modality, tokenCount}]` lists (promptTokensDetails...) summed per modality, first-seen order. */
function mergeModalityCounts(a: unknown[], b: unknown[]): unknown[] {
  const counts = new Map<unknown, number>();
  for (const item of [...a, ...b]) {
    const modality = field(item, 'modality');
    const count = field(item, 'tokenCount');
    counts.set(modality, (counts.get(modality) ?? 0) + (typeof count === 'number' ? count : 0));
  }
  return [...counts].map(([modality, tokenCount]) => ({ modality, tokenCount }));
}

/**
 * The usage of a reply continued over several requests: each request reports its own, so the
 * counts are added (as @google/genai's automatic continuation did).
 */
function mergeGeminiUsage(previous: unknown, current: unknown): unknown {
  if (!isRecord(previous)) return current;
  if (!isRecord(current)) return previous;
  const merged: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(previous), ...Object.keys(current)])) {
    const a = previous[key];
    const b = current[key];
    if (b === undefined || b === null) merged[key] = a;
    else if (a === undefined || a === null) merged[key] = b;
    else if (typeof a === 'number' && typeof b === 'number') merged[key] = a + b;
    else if (Array.isArray(a) && Array.isArray(b)) {
      const perModality =
        key.endsWith('TokensDetails') || (isRecord(a[0] ?? b[0]) && 'modality' in (a[0] ?? b[0]));
      merged[key] = perModality ? mergeModalityCounts(a, b) : [...a, ...b];
    } else if (isRecord(a) && isRecord(b)) merged[key] = mergeGeminiUsage(a, b);
    else merged[key] = b;
  }
  return merged;
}

/**
 * Usage normalised to @oxydra/types: candidatesTokenCount leaves thoughts out and tool-use
 * prompt tokens are reported apart, so both are added back (input + output = total).
 */
function geminiUsage(raw: unknown): Usage {
  return makeUsage(
    {
      inputTokens: sumReported(field(raw, 'promptTokenCount'), field(raw, 'toolUsePromptTokenCount')),
      outputTokens: sumReported(field(raw, 'candidatesTokenCount'), field(raw, 'thoughtsTokenCount')),
      totalTokens: field(raw, 'totalTokenCount'),
      cacheReadTokens: field(raw, 'cachedContentTokenCount'),
      reasoningTokens: field(raw, 'thoughtsTokenCount'),
    },
    raw,
  );
}

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

function normalise(raw: string, madeCalls: boolean): FinishReason {
  if (raw === 'STOP') return madeCalls ? 'tool_calls' : 'stop';
  if (raw === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(raw)) return 'content_filter';
  if (raw === 'MALFORMED_FUNCTION_CALL' || raw === 'UNEXPECTED_TOOL_CALL') return 'error';
  return 'other';
}

interface OpenCall {
  index: number;
  args: Record<string, unknown>;
}

export class GeminiStreamTranslator {
  private readonly tools = new ToolCallAssembler();
  /** A call whose arguments are still streaming. */
  private open: OpenCall | undefined;
  private finishReason: string | undefined;
  private block: { blockReason: string; blockReasonMessage?: string } | undefined;
  private usage: unknown;
  /** The usage of the requests before this one, when a reply was continued. */
  private earlierUsage: unknown;
  private sawCandidates = false;

  handle(chunk: GeminiChunk): ModelEvent[] {
    const events: ModelEvent[] = [];
    // Early chunks carry usageMetadata without counts (only trafficType); keep the last real one.
    if (field(chunk.usageMetadata, 'promptTokenCount') !== undefined) this.usage = chunk.usageMetadata;
    const feedback = chunk.promptFeedback;
    if (feedback?.blockReason) {
      this.block = {
        blockReason: feedback.blockReason,
        ...(feedback.blockReasonMessage ? { blockReasonMessage: feedback.blockReasonMessage } : {}),
      };
    }
    const first = chunk.candidates?.[0];
    if (first === undefined) return events;
    this.sawCandidates = true;
    // A null candidate counts as an empty one.
    const candidate: GeminiCandidate = first ?? {};
    for (const part of candidate.content?.parts ?? []) events.push(...this.part(part));
    if (candidate.finishReason) {
      this.finishReason = candidate.finishReason;
      events.push(...this.closeOpen(), ...this.tools.endAll());
    }
    return events;
  }

  /** The reply goes on in a new request (automatic continuation): its usage adds to this one's. */
  continued(): void {
    if (this.usage !== undefined) this.earlierUsage = mergeGeminiUsage(this.earlierUsage, this.usage);
    this.usage = undefined;
  }

  end(): ModelEvent[] {
    // Gemini has no end-of-stream event: a stream with candidates but no finishReason was cut.
    if (this.sawCandidates && this.finishReason === undefined && this.block === undefined) {
      throw streamEndedEarly('a finishReason arrived');
    }
    const events: ModelEvent[] = [...this.closeOpen(), ...this.tools.endAll()];
    const usage =
      this.earlierUsage === undefined ? this.usage : mergeGeminiUsage(this.earlierUsage, this.usage);
    if (usage !== undefined) events.push({ type: 'usage', usage: geminiUsage(usage) });
    const raw = this.finishReason ?? null;
    const finish: ModelEvent = {
      type: 'finish',
      reason:
        this.block !== undefined
          ? 'content_filter'
          : raw === null
            ? 'other'
            : normalise(raw, this.tools.size > 0),
      rawReason: raw,
    };
    if (this.block !== undefined) finish.details = { ...this.block };
    events.push(finish);
    return events;
  }

  private part(part: GeminiPart): ModelEvent[] {
    if (part.functionCall) return this.functionCall(part.functionCall, part.thoughtSignature);
    const text = part.text ?? '';
    if (part.thought) {
      if (text === '' && !part.thoughtSignature) return [];
      return [
        {
          type: 'reasoning_delta',
          text,
          ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
        },
      ];
    }
    const events: ModelEvent[] = [];
    if (text !== '') events.push({ type: 'text_delta', text });
    // Gemini 3 signs the answer on a (usually empty) text part; keep it for replay.
    if (part.thoughtSignature)
      events.push({ type: 'reasoning_delta', text: '', signature: part.thoughtSignature });
    return events;
  }

  private functionCall(call: GeminiFunctionCall, signature?: string): ModelEvent[] {
    const streaming = call.willContinue === true;
    if (call.name) {
      // A named part starts a new call; one still streaming is complete now.
      const events = this.closeOpen();
      const index = this.tools.size;
      const metadata: Record<string, unknown> = {};
      if (signature) metadata[THOUGHT_SIGNATURE] = signature;
      if (call.id) metadata[GEMINI_CALL_ID] = call.id;
      events.push(
        ...this.tools.update(index, {
          name: call.name,
          ...(call.id ? { id: call.id } : {}),
          ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        }),
      );
      const open: OpenCall = { index, args: { ...(call.args ?? {}) } };
      for (const arg of call.partialArgs ?? []) applyPartialArg(open.args, arg);
      this.open = open;
      if (!streaming) events.push(...this.closeOpen());
      return events;
    }
    const open = this.open;
    if (open === undefined) return [];
    for (const arg of call.partialArgs ?? []) applyPartialArg(open.args, arg);
    if (call.args) Object.assign(open.args, call.args);
    // An empty part without willContinue closes the streamed call.
    return streaming ? [] : this.closeOpen();
  }

  /** Gemini sends arguments as an object, so they go out as one delta when the call completes. */
  private closeOpen(): ModelEvent[] {
    const open = this.open;
    if (open === undefined) return [];
    this.open = undefined;
    const text = Object.keys(open.args).length === 0 ? '' : JSON.stringify(open.args);
    return this.tools.end(open.index, { argumentsDelta: text });
  }
}
