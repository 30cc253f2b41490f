/**
 * JSON Schema walking for the per-API tool-schema adapters. Only real sub-schema positions are
 * visited, so a tool parameter that happens to be named "$schema" or "additionalProperties"
 * (a key inside `properties`) is never mistaken for a keyword.
 */
import type { JsonSchema, ToolSpec } from '@oxydra/types';

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
