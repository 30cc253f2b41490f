/**
 * How large a client's JSON schema is, worked out in one linear walk before Ajv sees it: its own
 * subschemas (what compiling costs: Ajv writes and V8 compiles code for each, ~0.4 s of CPU for
 * 1,000 on a loaded machine) and their count once its `$ref`s are followed (what checking
 * costs). A schema of a few lines can name its definitions exponentially many times (each of
 * 20 levels an `anyOf` of two refs to the next: 2^20 paths under 2 KB of JSON), and Ajv then
 * held the event loop, every user's requests with it, until its time limit stopped it. Each
 * subschema is counted once per path that reaches it (memoised, so the walk stays linear); a
 * ref back into a subschema being counted (a recursive schema) counts 1, its cost following
 * the data's depth, which only the checker's limits bound (its thread's time and memory,
 * schema-workers.ts). Refs are resolved against their subschema's base URI (a nested `$id`).
 */
type Json = unknown;

/** A schema's own subschemas (objects and arrays) at most, and at most once its refs are followed. */
const MAX_SCHEMA_NODES = 1000;
const MAX_EXPANDED_NODES = 20_000;

/** Why the schema is too costly to compile and check, or undefined when it is within the bounds. */
export function schemaTooLarge(root: Json): string | undefined {
  const resources = walk(root);
  if (resources.nodes > MAX_SCHEMA_NODES)
    return `it has more than ${MAX_SCHEMA_NODES} subschemas; send a smaller schema`;
  if (expandedSize(root, resources, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES)
    return `it expands (its $refs followed) to more than ${MAX_EXPANDED_NODES} subschemas; send fewer references to its definitions`;
  return undefined;
}

/**
 * A ref's targets are found as Ajv finds them: against the base URI of the subschema it is in,
 * which a nested `$id` changes. Resolved against the root instead, `#/$defs/d0` inside a subschema
 * with its own `$id` (and `$defs`) found nothing and counted 0, and its 2^20 paths passed as small.
 */
interface Resources {
  nodes: number;
  /** Each subschema's base URI (its own `$id`, else its parent's). */
  baseOf: Map<object, string>;
  /** Subschemas by their absolute `$id` (the root's also by ROOT_BASE). */
  byId: Map<string, object>;
  /** Subschemas by `<resource URI>#<$anchor or $dynamicAnchor>`. */
  anchors: Map<string, object>;
}

/** The root's base URI when it names none (any absolute URI would do: refs only resolve against it). */
const ROOT_BASE = 'https://schema.invalid/root.json';

/** The schema's size with refs followed, counted up to `limit` + 1 (past the limit the count stops). */
function expandedSize(root: Json, resources: Resources, limit: number): number {
  const memo = new Map<object, number>();
  const counting = new Set<object>();
  const size = (node: Json): number => {
    if (typeof node !== 'object' || node === null) return 0;
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (counting.has(node)) return 1;
    counting.add(node);
    let total = 1;
    const record = node as Record<string, Json>;
    for (const [key, value] of Object.entries(record)) {
      if (total > limit) break;
      total += size(value);
      if ((key === '$ref' || key === '$dynamicRef') && typeof value === 'string') {
        const target = resolve(resources, resources.baseOf.get(node) ?? ROOT_BASE, value);
        if (target !== undefined) total += size(target);
      }
    }
    counting.delete(node);
    const kept = Math.min(total, limit + 1);
    memo.set(node, kept);
    return kept;
  };
  return size(root);
}

/**
 * The schema's own subschemas, counted, with each one's base URI, its `$id`s and its anchors (a
 * ref's targets). Iterative: a deeply nested schema cannot overflow the stack.
 */
function walk(root: Json): Resources {
  const resources: Resources = { nodes: 0, baseOf: new Map(), byId: new Map(), anchors: new Map() };
  if (typeof root === 'object' && root !== null) resources.byId.set(ROOT_BASE, root);
  const stack: Array<{ node: Json; base: string }> = [{ node: root, base: ROOT_BASE }];
  // Past the bound the count stops: the schema is refused whatever the rest holds.
  while (stack.length > 0 && resources.baseOf.size <= MAX_SCHEMA_NODES) {
    const { node, base: parentBase } = stack.pop() as { node: Json; base: string };
    if (typeof node !== 'object' || node === null || resources.baseOf.has(node)) continue;
    const record = node as Record<string, Json>;
    const base =
      typeof record.$id === 'string' ? (absolute(record.$id, parentBase) ?? parentBase) : parentBase;
    resources.baseOf.set(node, base);
    if (base !== parentBase) resources.byId.set(base, node);
    for (const key of ['$anchor', '$dynamicAnchor'])
      if (typeof record[key] === 'string') resources.anchors.set(`${base}#${record[key] as string}`, node);
    // One by one: spreading an array of a million items would pass too many arguments.
    for (const value of Object.values(record))
      if (typeof value === 'object' && value !== null) stack.push({ node: value, base });
  }
  resources.nodes = resources.baseOf.size;
  return resources;
}

/** `uri` made absolute against `base`, without its fragment; undefined when it is no URI. */
function absolute(uri: string, base: string): string | undefined {
  try {
    const url = new URL(uri, base);
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/** A ref's target (`#`, `#/json/pointer`, `#anchor`, each after a resource's URI or alone); undefined for others (Ajv refuses them). */
function resolve(resources: Resources, base: string, ref: string): Json {
  const hash = ref.indexOf('#');
  const resource = hash === 0 ? base : absolute(hash < 0 ? ref : ref.slice(0, hash), base);
  const target = resource === undefined ? undefined : resources.byId.get(resource);
  if (target === undefined) return undefined;
  let fragment: string;
  try {
    fragment = hash < 0 ? '' : decodeURIComponent(ref.slice(hash + 1));
  } catch {
    return undefined;
  }
  if (fragment === '') return target;
  if (!fragment.startsWith('/')) return resources.anchors.get(`${resource}#${fragment}`);
  let at: Json = target;
  for (const part of fragment.slice(1).split('/')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, Json>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return at;
}
