/**
 * A scenario reply reduced to what every wire encoder needs: text already cut into deltas,
 * argument JSON as text and fragments, usage with defaults, a finish reason. The encoders only
 * decide framing and field names, so chunking rules live here once.
 */
import type { ChunkSpec, ScenarioReply, ScenarioUsage } from './scenario.js';

interface PlannedToolCall {
  index: number;
  /** The scenario's id, or undefined to let the encoder make its API's kind of id. */
  id: string | undefined;
  name: string;
  /** The argument text exactly as it will be streamed. */
  argumentsText: string;
  argumentChunks: string[];
  /** The parsed arguments, or the raw text when it is not JSON (APIs without argument text need a value). */
  argumentsValue: unknown;
}

export interface ReplyPlan {
  text: string;
  textChunks: string[];
  reasoning: string;
  reasoningChunks: string[];
  reasoningSignature: string | undefined;
  toolCalls: PlannedToolCall[];
  usage: ScenarioUsage;
  /** Normalised (`stop`, `tool_calls`, `length`, `content_filter`, `refusal`) or a raw provider value. */
  finishReason: string;
}

/** Deterministic usage when a scenario gives none, so assertions on it are stable. */
const DEFAULT_USAGE: ScenarioUsage = { input: 10, output: 5 };

/**
 * Cut text into deltas. Splits on code points, never inside a surrogate pair, so every delta is
 * valid UTF-8 on the wire. Without a spec, `words` gives one delta per word (each with its
 * leading whitespace, as tokenisers do) and `whole` a single delta.
 */
function splitText(text: string, spec: ChunkSpec | undefined, fallback: 'words' | 'whole'): string[] {
  if (text === '') return [];
  if (spec === undefined) return fallback === 'whole' ? [text] : (text.match(/\s*\S+|\s+$/g) ?? [text]);
  const points = Array.from(text);
  const cuts =
    typeof spec === 'number'
      ? Array.from({ length: Math.min(spec, points.length) - 1 }, (_, i) =>
          Math.floor(((i + 1) * points.length) / Math.min(spec, points.length)),
        )
      : spec.filter((offset) => offset > 0 && offset < points.length);
  const pieces: string[] = [];
  let start = 0;
  for (const cut of [...cuts, points.length]) {
    if (cut > start) pieces.push(points.slice(start, cut).join(''));
    start = Math.max(start, cut);
  }
  return pieces;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function planReply(reply: ScenarioReply): ReplyPlan {
  const text = reply.text ?? '';
  const reasoning = reply.reasoning ?? '';
  const toolCalls = (reply.toolCalls ?? []).map((call, index): PlannedToolCall => {
    const argumentsText =
      typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    return {
      index,
      id: call.id,
      name: call.name,
      argumentsText,
      argumentChunks: splitText(argumentsText, reply.argumentChunks, 'whole'),
      argumentsValue: typeof call.arguments === 'string' ? parseArguments(call.arguments) : call.arguments,
    };
  });
  return {
    text,
    textChunks: splitText(text, reply.textChunks, 'words'),
    reasoning,
    reasoningChunks: splitText(reasoning, undefined, 'words'),
    reasoningSignature: reply.reasoningSignature,
    toolCalls,
    usage: reply.usage ?? DEFAULT_USAGE,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
  };
}

/** Translate a normalised finish reason through an API's table; raw values pass through. */
export function mapFinishReason(reason: string, table: Record<string, string>): string {
  return table[reason] ?? reason;
}
