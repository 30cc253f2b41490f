/**
 * What the adapters' stream translators (their events.ts) share: tool calls assembled from
 * fragments, their argument text parsed, and usage built from loosely typed wire objects.
 *
 * Turns whatever an API streams about tool calls into the one event sequence every consumer
 * relies on: `tool_call_start` (once id and name are known) → `tool_call_delta` per argument
 * fragment → `tool_call_end` with parsed arguments. Adapters only say what arrived for which
 * call; ordering, buffering and parsing live here.
 */

import type { ModelEvent, ToolCallEndEvent, Usage } from '@oxydra/types';

export interface ToolCallUpdate {
  id?: string;
  name?: string;
  argumentsDelta?: string;
  metadata?: Record<string, unknown>;
}

interface CallState {
  id: string | undefined;
  name: string | undefined;
  /** Argument text that arrived before the name did (Chat servers may split them). */
  buffered: string;
  text: string;
  started: boolean;
  ended: boolean;
  metadata: Record<string, unknown> | undefined;
}

/** Makes an id for APIs that give none (Gemini); stable for the same stream. */
export type IdSynthesizer = (index: number, name: string) => string;

export const defaultToolCallId: IdSynthesizer = (index, name) => `call_${index}_${name}`;

export class ToolCallAssembler {
  private readonly calls = new Map<number, CallState>();
  private readonly synthesizeId: IdSynthesizer;

  constructor(synthesizeId: IdSynthesizer = defaultToolCallId) {
    this.synthesizeId = synthesizeId;
  }

  /** Number of calls seen so far: the index the next new call gets. */
  get size(): number {
    return this.calls.size;
  }

  has(index: number): boolean {
    return this.calls.has(index);
  }

  isOpen(index: number): boolean {
    const call = this.calls.get(index);
    return call !== undefined && !call.ended;
  }

  /** Argument text streamed so far for a call. */
  argumentsOf(index: number): string {
    const call = this.calls.get(index);
    return call === undefined ? '' : call.buffered + call.text;
  }

  update(index: number, update: ToolCallUpdate): ModelEvent[] {
    let call = this.calls.get(index);
    if (call === undefined) {
      // Every field from the start, in one order: one object shape for every call, which the
      // optimised code that reads it keeps (fields added later make shapes a full GC can drop,
      // and the code checking for the dropped shape is thrown away and compiled again).
      call = {
        id: undefined,
        name: undefined,
        buffered: '',
        text: '',
        started: false,
        ended: false,
        metadata: undefined,
      };
      this.calls.set(index, call);
    }
    if (call.ended) return [];
    if (!call.started) {
      if (update.id) call.id = update.id;
      if (update.name) call.name = update.name;
    }
    if (update.metadata) call.metadata = { ...call.metadata, ...update.metadata };
    const events: ModelEvent[] = [];
    if (!call.started && call.name !== undefined) events.push(...this.start(index, call));
    const fragment = update.argumentsDelta ?? '';
    if (fragment !== '') {
      if (call.started) {
        call.text += fragment;
        events.push({ type: 'tool_call_delta', index, argumentsDelta: fragment });
      } else {
        call.buffered += fragment;
      }
    }
    return events;
  }

  /** Close a call: its arguments are complete. */
  end(index: number, update: ToolCallUpdate = {}): ModelEvent[] {
    const events = this.update(index, update);
    const call = this.calls.get(index);
    if (call === undefined || call.ended) return events;
    // A call whose name never came is still reported, so the model hears about it.
    if (!call.started) events.push(...this.start(index, call));
    call.ended = true;
    events.push(this.endEvent(index, call));
    return events;
  }

  /** Close every call still open, in index order (the stream finished). */
  endAll(): ModelEvent[] {
    const open = [...this.calls.entries()].filter(([, call]) => !call.ended).map(([index]) => index);
    return open.sort((a, b) => a - b).flatMap((index) => this.end(index));
  }

  private start(index: number, call: CallState): ModelEvent[] {
    const name = call.name ?? '';
    call.id = call.id || this.synthesizeId(index, name);
    call.started = true;
    const events: ModelEvent[] = [{ type: 'tool_call_start', index, id: call.id, name }];
    if (call.buffered !== '') {
      call.text = call.buffered;
      call.buffered = '';
      events.push({ type: 'tool_call_delta', index, argumentsDelta: call.text });
    }
    return events;
  }

  private endEvent(index: number, call: CallState): ToolCallEndEvent {
    const parsed = parseToolArguments(call.text);
    const event: ToolCallEndEvent = {
      type: 'tool_call_end',
      index,
      id: call.id ?? '',
      name: call.name ?? '',
      arguments: parsed.arguments,
      rawArguments: call.text,
    };
    if (parsed.parseError !== undefined) event.parseError = parsed.parseError;
    if (call.metadata !== undefined) event.metadata = call.metadata;
    return event;
  }
}

/**
 * Tool-call argument text → object. Models sometimes emit invalid JSON; the runtime hands the
 * parse error back to the model rather than failing the turn, so this never throws.
 */

export interface ParsedArguments {
  arguments: Record<string, unknown>;
  parseError?: string;
}

export function parseToolArguments(text: string): ParsedArguments {
  // APIs send "" (Anthropic, Chat) for a call without arguments.
  if (text.trim() === '') return { arguments: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      arguments: {},
      parseError: `tool arguments are not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { arguments: {}, parseError: 'tool arguments must be a JSON object' };
  }
  return { arguments: value as Record<string, unknown> };
}

/**
 * Building a Usage from a provider's usage object. Wire objects are loosely typed (fields go
 * missing or arrive as null on compatible servers), so only real numbers are kept: a field the
 * provider did not report stays undefined rather than becoming 0.
 */

type TokenField = Exclude<keyof Usage, 'raw' | 'costUsd'>;

/**
 * A token count a server reported, or undefined when it is none: the one rule for every count
 * that reaches a cost (chat usage of every API, embeddings). A count is a number of at least 0;
 * a negative one (`completion_tokens: -1e9` once made a call cost -$600, and the daily cap
 * counted it as money back) is not kept, and one past 2^53 is held there, so a price times it
 * stays a finite number (1e308 tokens at $15 a million made the cost Infinity).
 */
export function reportedCount(value: unknown): number | undefined {
  if (typeof value !== 'number' || !(value >= 0)) return undefined;
  return Math.min(value, Number.MAX_SAFE_INTEGER);
}

/** A field the server left out (missing, or null as compatible servers send it): not reported. */
const notReported = (value: unknown) => value === undefined || value === null;

/**
 * Sum of the reported parts; undefined only when none was reported. A part that is there but no
 * count (reportedCount) makes the sum NaN, no count either: makeUsage then keeps no count of the
 * report, rather than the valid parts alone (the call would cost only what the server chose).
 */
export function sumReported(...values: unknown[]): number | undefined {
  let sum: number | undefined;
  for (const value of values) {
    if (notReported(value)) continue;
    const count = reportedCount(value);
    if (count === undefined) return Number.NaN;
    sum = Math.min((sum ?? 0) + count, Number.MAX_SAFE_INTEGER);
  }
  return sum;
}

/**
 * A Usage of the server's counts (reportedCount each). Fail-safe: a report with any field that is
 * there but is no count (negative, NaN, a string) keeps none of its counts, so the call's cost is
 * unknown (catalog/cost.ts costOf) and the budgets treat it as they treat every unknown cost: the
 * spending caps charge the call's whole reservation, a run's max_cost stops the run. Charging its
 * valid fields alone let a hostile server (`prompt_tokens: -1` beside `completion_tokens: 1`) have
 * every call cost next to nothing, and no cap ever stopped the runs.
 */
export function makeUsage(fields: Partial<Record<TokenField, unknown>>, raw: unknown): Usage {
  const usage: Usage = {};
  for (const [field, value] of Object.entries(fields) as [TokenField, unknown][]) {
    if (notReported(value)) continue;
    const number = reportedCount(value);
    if (number === undefined) return raw !== undefined && raw !== null ? { raw } : {};
    usage[field] = number;
  }
  if (raw !== undefined && raw !== null) usage.raw = raw;
  return usage;
}

/** Property access on loosely typed wire objects. */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
