/**
 * JSON Schema (as zod emits it) → Gemini's `Schema`, the OpenAPI 3.0 subset functionDeclarations
 * accept. Gemini rejects unknown keywords (`additionalProperties`, `$schema`, `const`...) and
 * type arrays, so this keeps the keywords it knows and rewrites the common constructs:
 * `type: [T, "null"]` and `anyOf [..., {type: null}]` → `nullable`, `const` → a one-value
 * enum, `oneOf` → `anyOf`, local `$ref`s → inlined. `geminiWireSchema` then writes it as the
 * wire carries it (upper-case types), as @google/genai did before this adapter left it.
 */
import type { JsonSchema } from '@oxydra/types';

const KEEP = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'propertyOrdering',
  'default',
  'minimum',
  'maximum',
]);

/** Nesting beyond this through $refs is a recursive type Gemini cannot express. */
const MAX_REF_DEPTH = 8;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (match === null) return undefined;
  const defs = root[match[1] ?? ''];
  const target = isObject(defs) ? defs[decodeURIComponent(match[2] ?? '')] : undefined;
  return isObject(target) ? target : undefined;
}

function isNullSchema(value: unknown): boolean {
  return isObject(value) && value.type === 'null';
}

function convert(node: JsonSchema, root: JsonSchema, depth: number): JsonSchema {
  if (typeof node.$ref === 'string') {
    const target = resolveRef(node.$ref, root);
    if (target === undefined || depth >= MAX_REF_DEPTH) return { type: 'object', description: 'any value' };
    const { $ref: _ref, ...siblings } = node;
    return convert({ ...target, ...siblings }, root, depth + 1);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) if (KEEP.has(key)) out[key] = value;

  if (Array.isArray(node.type)) {
    const types = node.type.filter((type): type is string => typeof type === 'string' && type !== 'null');
    if (types.length < node.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else {
      delete out.type;
      if (types.length > 1) out.anyOf = types.map((type) => ({ type }));
    }
  }
  if (node.const !== undefined && typeof node.const === 'string') {
    out.type = 'string';
    out.enum = [node.const];
  }
  if (out.enum !== undefined) {
    // Gemini enums are string-only.
    if (Array.isArray(out.enum) && out.enum.every((value) => typeof value === 'string'))
      out.type ??= 'string';
    else delete out.enum;
  }

  const alternatives = [node.anyOf, node.oneOf].find(Array.isArray) as unknown[] | undefined;
  if (alternatives !== undefined) {
    const rest = alternatives.filter((option) => !isNullSchema(option));
    if (rest.length < alternatives.length) out.nullable = true;
    const converted = rest.filter(isObject).map((option) => convert(option, root, depth));
    if (converted.length === 1) Object.assign(out, converted[0]);
    else if (converted.length > 1) out.anyOf = converted;
  }
  if (Array.isArray(node.allOf)) {
    for (const part of node.allOf) if (isObject(part)) Object.assign(out, convert(part, root, depth));
  }

  if (isObject(node.properties)) {
    const properties: JsonSchema = {};
    for (const [name, sub] of Object.entries(node.properties)) {
      if (isObject(sub)) properties[name] = convert(sub, root, depth);
    }
    out.properties = properties;
    if (Array.isArray(out.required)) out.required = out.required.filter((name) => name in properties);
  }
  const items = Array.isArray(node.items) ? node.items[0] : node.items;
  if (isObject(items)) out.items = convert(items, root, depth);
  return out;
}

/** Function parameters for Gemini; undefined for a tool without any (Gemini rejects empty objects). */
export function geminiParameters(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (schema === undefined) return undefined;
  const converted = convert(schema, schema, 0);
  const properties = converted.properties;
  if (!isObject(properties) || Object.keys(properties).length === 0) return undefined;
  return { ...converted, type: 'object' };
}

/** Gemini's Type enum. */
const WIRE_TYPES = new Set([
  'TYPE_UNSPECIFIED',
  'STRING',
  'NUMBER',
  'INTEGER',
  'BOOLEAN',
  'ARRAY',
  'OBJECT',
  'NULL',
]);

function wireType(type: unknown): string {
  const upper = String(type).toUpperCase();
  return WIRE_TYPES.has(upper) ? upper : 'TYPE_UNSPECIFIED';
}

function typeOf(value: unknown): unknown {
  return isObject(value) ? value.type : undefined;
}

/**
 * A parameters schema as the request carries it: the transform @google/genai applied to every
 * function's parameters (its `processJsonSchema`), kept key for key so the bodies stay
 * byte-identical: types upper-cased, `type` arrays and null alternatives folded into `nullable`
 * and `anyOf`, `additionalProperties` dropped. Unlike the SDK it never throws (a schema with both
 * `type` and `anyOf`, or a lone `type: "null"`, goes to the API, which says what it rejects).
 */
export function geminiWireSchema(input: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  let schema = input;
  const alternatives = schema.anyOf;
  if (Array.isArray(alternatives) && alternatives.length === 2) {
    // A nullable value: the other alternative is the schema.
    const other = typeOf(alternatives[0]) === 'null' ? 1 : typeOf(alternatives[1]) === 'null' ? 0 : -1;
    if (other >= 0 && isObject(alternatives[other])) {
      out.nullable = true;
      schema = alternatives[other];
    }
  }
  if (Array.isArray(schema.type)) {
    if (schema.type.includes('null')) out.nullable = true;
    const types = schema.type.filter((type) => type !== 'null');
    if (types.length === 1) out.type = wireType(types[0]);
    else out.anyOf = types.map((type) => ({ type: wireType(type) }));
  }
  for (const [key, value] of Object.entries(schema)) {
    if (value === null || value === undefined || key === 'additionalProperties') continue;
    if (key === 'type') {
      if (!Array.isArray(value)) out.type = wireType(value);
    } else if (key === 'items') {
      out.items = isObject(value) ? geminiWireSchema(value) : value;
    } else if (key === 'anyOf' && Array.isArray(value)) {
      const list: JsonSchema[] = [];
      for (const item of value) {
        if (typeOf(item) === 'null') out.nullable = true;
        else if (isObject(item)) list.push(geminiWireSchema(item));
      }
      out.anyOf = list;
    } else if (key === 'properties' && isObject(value)) {
      const properties: JsonSchema = {};
      for (const [name, sub] of Object.entries(value)) {
        properties[name] = isObject(sub) ? geminiWireSchema(sub) : sub;
      }
      out.properties = properties;
    } else out[key] = value;
  }
  return out;
}
