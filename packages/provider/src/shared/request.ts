/**
 * What the request builders share: the message list and the tool schemas.
 *
 * Message-list helpers the request builders share: where system prompts go, and merging
 * neighbours that an API wants as one turn.
 */

import type { JsonSchema, Message, ToolCall, ToolSpec } from '@oxydra/types';
import { parseToolArguments } from './events.js';

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

/**
 * JSON Schema walking for the per-API tool-schema adapters. Only real sub-schema positions are
 * visited, so a tool parameter that happens to be named "$schema" or "additionalProperties"
 * (a key inside `properties`) is never mistaken for a keyword.
 */

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_VALUES = [
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'additionalItems',
];

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrite every schema node, outermost first: `transform` sees a node before its children. */
function mapSchema(schema: JsonSchema, transform: (node: JsonSchema) => JsonSchema): JsonSchema {
  const node = { ...transform(schema) };
  for (const key of SCHEMA_MAPS) {
    const map = node[key];
    if (!isSchema(map)) continue;
    node[key] = Object.fromEntries(
      Object.entries(map).map(([name, sub]) => [name, isSchema(sub) ? mapSchema(sub, transform) : sub]),
    );
  }
  for (const key of SCHEMA_LISTS) {
    const list = node[key];
    if (Array.isArray(list)) node[key] = list.map((sub) => (isSchema(sub) ? mapSchema(sub, transform) : sub));
  }
  for (const key of SCHEMA_VALUES) {
    const sub = node[key];
    if (isSchema(sub)) node[key] = mapSchema(sub, transform);
    // Draft-4 tuple form: items as an array of schemas.
    else if (key === 'items' && Array.isArray(sub)) {
      node[key] = sub.map((item) => (isSchema(item) ? mapSchema(item, transform) : item));
    }
  }
  return node;
}

/** Remove keywords at every level (e.g. `$schema`, which no API wants). */
export function withoutKeywords(schema: JsonSchema, keywords: readonly string[]): JsonSchema {
  return mapSchema(schema, (node) => {
    const copy = { ...node };
    for (const keyword of keywords) delete copy[keyword];
    return copy;
  });
}

/** Function parameters must be an object schema; a tool without parameters gets an empty one. */
export function asObjectSchema(schema: JsonSchema | undefined): JsonSchema {
  const base = schema ?? {};
  return {
    ...base,
    type: 'object',
    properties: isSchema(base.properties) ? base.properties : {},
  };
}

/**
 * Converts each tool spec once per API: `convert` wrapped in a cache keyed by the spec object.
 * A registry hands every model call the same spec objects, so only the first request of a run
 * pays for the schema walk; a spec nobody holds any more is dropped with its conversion. Specs
 * are treated as immutable: one changed in place keeps its first conversion. What is cached is
 * shared by every request, so nothing may modify it (an SDK that does gets a fresh wrapper).
 */
export function convertedOnce<T>(convert: (tool: ToolSpec) => T): (tool: ToolSpec) => T {
  const cache = new WeakMap<ToolSpec, T>();
  return (tool) => {
    let converted = cache.get(tool);
    if (converted === undefined) {
      converted = convert(tool);
      cache.set(tool, converted);
    }
    return converted;
  };
}
