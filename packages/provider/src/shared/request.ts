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
 * A request body's JSON with its tool list written once per tool: `convert`'s result for a spec
 * is stringified the first time and kept (the same specs-as-immutable rule as convertedOnce), and
 * each body gets the kept texts joined, spliced in with `stringifyWith`. Serializing the schemas'
 * nested objects was most of a body's JSON.stringify, the same text on every call (~280 thousand
 * instructions of a library run with the ten default tools, measured with cachegrind).
 *
 * The returned function takes the tools and the adapter's body builder, which puts the list it is
 * handed at `key` (keeping the body's key order): without tools the body is stringified as is.
 * With `conversation` (the key of the body's message list, set to JSON_MARK by the builder, and
 * the list's JSON text, made by the adapter with conversationJson) that text is spliced in too.
 */
export function toolsJsonOnce<T>(
  convert: (tool: ToolSpec) => T,
  key = 'tools',
): (
  tools: readonly ToolSpec[] | undefined,
  build: (list: (tools: readonly ToolSpec[]) => T[]) => object,
  conversation?: [key: string, json: string],
) => string {
  const texts = new WeakMap<ToolSpec, string>();
  const listJson = (tools: readonly ToolSpec[]): string => {
    let json = '[';
    for (const [index, tool] of tools.entries()) {
      let text = texts.get(tool);
      if (text === undefined) {
        text = JSON.stringify(convert(tool));
        texts.set(tool, text);
      }
      json += index === 0 ? text : `,${text}`;
    }
    return `${json}]`;
  };
  return (tools, build, conversation) => {
    const listed = tools !== undefined && tools.length > 0;
    const body = build(listed ? () => JSON_MARK as unknown as T[] : (specs) => specs.map(convert));
    const splices: [string, string][] = [];
    if (conversation !== undefined) splices.push(conversation);
    if (listed) splices.push([key, listJson(tools)]);
    return splices.length === 0 ? JSON.stringify(body) : stringifyWith(body, ...splices);
  };
}

/** A message of the conversation proper (system prompts go elsewhere, see splitSystem). */
export type ConversationMessage = SplitSystem['messages'][number];

/**
 * What a conversation message contributes to a request, as the JSON text of each wire item
 * `convert` maps it to (none, one, or several: a Responses assistant turn is its reasoning, text
 * and calls), made once per message object: messages never change once in a conversation (the
 * context window's token counts rely on it too), and a session's context is the same objects call
 * after call, so a call serialises its new messages only, not the window. `scope` only names the
 * request in an error, and a message that fails is not kept.
 */
export function itemsJsonOnce<S>(
  convert: (message: ConversationMessage, scope: S) => readonly object[],
): (message: ConversationMessage, scope: S) => ItemsJson {
  const texts = new WeakMap<ConversationMessage, ItemsJson>();
  return (message, scope) => {
    let items = texts.get(message);
    if (items === undefined) {
      const list = convert(message, scope).map((item) => JSON.stringify(item));
      items = list.length === 1 ? (list[0] as string) : list;
      texts.set(message, items);
    }
    return items;
  };
}

/**
 * A message's items' JSON texts: the one text itself when there is one item, as for most
 * messages (a window's walk then reads one object less a message: measured, it shows).
 */
export type ItemsJson = string | readonly string[];

/**
 * Every message's item texts, in order: JSON.stringify of the list of their items is these
 * joined by commas in brackets (`jsonList`). `head` (a system message's text) goes first.
 */
export function conversationJson<S>(
  messages: readonly ConversationMessage[],
  scope: S,
  itemsJson: (message: ConversationMessage, scope: S) => ItemsJson,
  head?: string,
): string[] {
  const texts: string[] = head === undefined ? [] : [head];
  for (const message of messages) {
    const items = itemsJson(message, scope);
    if (typeof items === 'string') texts.push(items);
    else for (const item of items) texts.push(item);
  }
  return texts;
}

/** A JSON array's text from its elements' texts. */
export function jsonList(texts: readonly string[]): string {
  return `[${texts.join(',')}]`;
}

/**
 * Stands for JSON text made beforehand (`stringifyWith`). Its NUL is written \u0000 by
 * JSON.stringify, and a backslash inside any string value is written \\, so `"key":"<mark>"`
 * with one backslash and bare quotes appears in the output only where a value is the mark.
 */
export const JSON_MARK = '\u0000oxydra:json';
const MARK_JSON = JSON.stringify(JSON_MARK);

/**
 * JSON.stringify(body), where the value of each `key` (set to JSON_MARK by the caller, wherever the
 * key belongs in the object's order) is replaced by its `json`, valid JSON text: the same bytes
 * JSON.stringify would give with those values in place. Every mark is found in the body's own
 * text before anything is spliced in, so no spliced text is ever searched.
 */
export function stringifyWith(body: object, ...splices: [key: string, json: string][]): string {
  const text = JSON.stringify(body);
  const found = splices.map(([key, json]) => {
    const name = `${JSON.stringify(key)}:`;
    // From the end: a request's tool list comes after its messages (the only place for the mark
    // to be found by mistake, were the argument above wrong), so the search is short as well.
    const at = text.lastIndexOf(name + MARK_JSON);
    if (at === -1) throw new Error(`stringifyWith: the body has no ${key} set to JSON_MARK`);
    return { from: at + name.length, json };
  });
  found.sort((a, b) => a.from - b.from);
  let out = '';
  let done = 0;
  for (const { from, json } of found) {
    out += text.slice(done, from) + json;
    done = from + MARK_JSON.length;
  }
  return out + text.slice(done);
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
