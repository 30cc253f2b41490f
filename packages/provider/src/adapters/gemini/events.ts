/**
 * Gemini stream chunks → StreamEvents. Gemini sends whole parts, not deltas of one message:
 * text parts, `thought: true` parts (reasoning), and functionCall parts that are either complete
 * (`{name, args}`) or streamed (Vertex: `{name, willContinue}` → `{partialArgs}`… → `{}`).
 */

import type { FunctionCall, GenerateContentResponse, Part } from '@google/genai';
import type { FinishReason, StreamEvent, Usage } from '@oxydra/types';
import { streamEndedEarly } from '../../shared/errors.js';
import { ToolCallAssembler } from '../../shared/tool-calls.js';
import { field, makeUsage, sumReported } from '../../shared/usage.js';
import { applyPartialArg, type PartialArg } from './partial-args.js';
import { GEMINI_CALL_ID, THOUGHT_SIGNATURE } from './request.js';

/**
 * Usage normalised to @oxydra/types: candidatesTokenCount leaves thoughts out and tool-use
 * prompt tokens are reported apart, so both are added back (input + output = total).
 */
export function geminiUsage(raw: unknown): Usage {
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
  private sawCandidates = false;

  handle(chunk: GenerateContentResponse): StreamEvent[] {
    const events: StreamEvent[] = [];
    // Early chunks carry usageMetadata without counts (only trafficType); keep the last real one.
    if (field(chunk.usageMetadata, 'promptTokenCount') !== undefined) this.usage = chunk.usageMetadata;
    const feedback = chunk.promptFeedback;
    if (feedback?.blockReason) {
      this.block = {
        blockReason: feedback.blockReason,
        ...(feedback.blockReasonMessage ? { blockReasonMessage: feedback.blockReasonMessage } : {}),
      };
    }
    const candidate = chunk.candidates?.[0];
    if (candidate === undefined) return events;
    this.sawCandidates = true;
    for (const part of candidate.content?.parts ?? []) events.push(...this.part(part));
    if (candidate.finishReason) {
      this.finishReason = candidate.finishReason;
      events.push(...this.closeOpen(), ...this.tools.endAll());
    }
    return events;
  }

  end(): StreamEvent[] {
    // Gemini has no end-of-stream event: a stream with candidates but no finishReason was cut.
    if (this.sawCandidates && this.finishReason === undefined && this.block === undefined) {
      throw streamEndedEarly('a finishReason arrived');
    }
    const events: StreamEvent[] = [...this.closeOpen(), ...this.tools.endAll()];
    if (this.usage !== undefined) events.push({ type: 'usage', usage: geminiUsage(this.usage) });
    const raw = this.finishReason ?? null;
    const finish: StreamEvent = {
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

  private part(part: Part): StreamEvent[] {
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
    const events: StreamEvent[] = [];
    if (text !== '') events.push({ type: 'text_delta', text });
    // Gemini 3 signs the answer on a (usually empty) text part; keep it for replay.
    if (part.thoughtSignature)
      events.push({ type: 'reasoning_delta', text: '', signature: part.thoughtSignature });
    return events;
  }

  private functionCall(
    call: FunctionCall & { partialArgs?: PartialArg[] },
    signature?: string,
  ): StreamEvent[] {
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
  private closeOpen(): StreamEvent[] {
    const open = this.open;
    if (open === undefined) return [];
    this.open = undefined;
    const text = Object.keys(open.args).length === 0 ? '' : JSON.stringify(open.args);
    return this.tools.end(open.index, { argumentsDelta: text });
  }
}
