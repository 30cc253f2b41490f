/**
 * A tool's JSON Schema reduced to the subset node-llama-cpp turns into a grammar (its
 * GbnfJsonSchema): types, const, enum, oneOf, properties, items, string and array bounds,
 * descriptions. What the grammar cannot express is widened, never narrowed, so every value the
 * schema allows stays possible: anyOf becomes oneOf, an unknown or empty schema any scalar. One
 * narrowing: the grammar writes every property it lists (it has no optional ones), so only the
 * required properties are listed; otherwise a model would have to invent a value for each
 * optional one (an offset, a limit) instead of leaving it to its default. The tool's own
 * validation still runs on the arguments.
 */
import type { GbnfJsonSchema } from 'node-llama-cpp';

type Json = Record<string, unknown>;

const SCALARS = ['string', 'number', 'integer', 'boolean', 'null'] as const;
type Scalar = (typeof SCALARS)[number];

/** Anything but an object or array: what a schema the grammar cannot express becomes. */
const ANY_SCALAR: GbnfJsonSchema = { type: [...SCALARS] };

/** Nesting kept before the rest is widened (a hostile schema may nest without end). */
const MAX_DEPTH = 8;

export function toGrammarSchema(schema: unknown, depth = 0): GbnfJsonSchema {
  if (!isObject(schema) || depth > MAX_DEPTH) return ANY_SCALAR;
  const description = typeof schema.description === 'string' ? { description: schema.description } : {};
  if ('const' in schema && isLiteral(schema.const)) return { const: schema.const, ...description };
  if (Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.every(isLiteral)) {
    return { enum: schema.enum, ...description };
  }
  const alternatives = [schema.oneOf, schema.anyOf].find((list) => Array.isArray(list) && list.length > 0);
  if (Array.isArray(alternatives)) {
    return { oneOf: alternatives.map((item) => toGrammarSchema(item, depth + 1)), ...description };
  }
  const type = schema.type;
  if (type === 'object') return objectSchema(schema, depth, description);
  if (type === 'array') {
    return {
      type: 'array',
      items: toGrammarSchema(schema.items, depth + 1),
      ...bound(schema, 'minItems'),
      ...bound(schema, 'maxItems'),
      ...description,
    };
  }
  if (type === 'string')
    return { type: 'string', ...bound(schema, 'minLength'), ...bound(schema, 'maxLength'), ...description };
  if (isScalar(type)) return { type, ...description };
  if (Array.isArray(type) && type.length > 0 && type.every(isScalar)) return { type, ...description };
  return { ...ANY_SCALAR, ...description };
}

function objectSchema(schema: Json, depth: number, description: { description?: string }): GbnfJsonSchema {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(properties)
        .filter(([name]) => required.has(name))
        .map(([name, value]) => [name, toGrammarSchema(value, depth + 1)]),
    ),
    ...description,
  };
}

function bound(
  schema: Json,
  key: 'minItems' | 'maxItems' | 'minLength' | 'maxLength',
): Record<string, number> {
  const value = schema[key];
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? { [key]: value } : {};
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' && (SCALARS as readonly string[]).includes(value);
}

function isLiteral(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
