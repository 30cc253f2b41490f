/**
 * Looking inside zod schemas: which keys an object allows (for "did you mean" hints and
 * environment overrides) and what kind of value a key expects (to coerce env strings).
 */
import type { z } from 'zod';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
  element?: AnySchema;
  entries?: Record<string, string | number>;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strip optional / default / prefault / nullable / pipe wrappers. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

export function kindOf(schema: AnySchema): string {
  return defOf(unwrap(schema)).type;
}

/** The schema of a child key, or undefined when the key is not allowed there. */
export function childSchema(schema: AnySchema, key: string): AnySchema | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return def.shape?.[key];
  if (def.type === 'record') return def.valueType;
  return undefined;
}

/** The keys an object schema allows (empty for records, which allow any key). */
export function knownKeys(schema: AnySchema): string[] {
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

export function elementSchema(schema: AnySchema): AnySchema | undefined {
  return defOf(unwrap(schema)).element;
}

export function enumValues(schema: AnySchema): string[] | undefined {
  const def = defOf(unwrap(schema));
  return def.type === 'enum' && def.entries ? Object.values(def.entries).map(String) : undefined;
}

/** Walk a path of keys from the root; undefined with the failing index when a key is unknown. */
export function schemaAt(
  root: AnySchema,
  path: readonly string[],
): { schema: AnySchema } | { unknownAt: number; parent: AnySchema } {
  let current = root;
  for (let i = 0; i < path.length; i++) {
    const next = childSchema(current, path[i]!);
    if (!next) return { unknownAt: i, parent: current };
    current = next;
  }
  return { schema: current };
}
