/**
 * Message-list helpers the request builders share: where system prompts go, and merging
 * neighbours that an API wants as one turn.
 */
import type { Message, ToolCall } from '@oxydra/types';
import { parseToolArguments } from './tool-arguments.js';

export interface SplitSystem {
  /** Every system message's text, joined; undefined when there is none. */
  system: string | undefined;
  messages: Exclude<Message, { role: 'system' }>[];
}

/**
 * Context allows system messages anywhere. All four adapters send one system prompt up front
 * (Anthropic and Gemini have only a top-level field, Responses has `instructions`, and many
 * OpenAI-compatible chat templates reject a system message that is not first).
 */
export function splitSystem(messages: readonly Message[]): SplitSystem {
  const system: string[] = [];
  const rest: SplitSystem['messages'] = [];
  for (const message of messages) {
    if (message.role === 'system') {
      if (message.content.trim() !== '') system.push(message.content);
    } else {
      rest.push(message);
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: rest };
}

/** Merge runs of items with the same role (consecutive tool results become one user turn). */
export function mergeSameRole<T extends { role: string }>(
  items: readonly T[],
  merge: (a: T, b: T) => T,
): T[] {
  const out: T[] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (last !== undefined && last.role === item.role) out[out.length - 1] = merge(last, item);
    else out.push(item);
  }
  return out;
}

/**
 * The argument text to send back for a call: exactly what the model produced when that was a
 * valid object (keeps replayed history byte-identical), else the parsed arguments, because
 * some servers re-parse history and reject invalid JSON.
 */
export function argumentsText(call: ToolCall): string {
  const raw = call.rawArguments;
  if (raw !== undefined && raw.trim() !== '' && parseToolArguments(raw).parseError === undefined) return raw;
  return JSON.stringify(call.arguments ?? {});
}
