/**
 * How large a client's JSON schema is, worked out in one linear walk before Ajv sees it: its own
 * subschemas (what compiling costs: Ajv writes and V8 compiles code for each, ~0.4 s of CPU for
 * 1,000 on a loaded machine) and their count once its `$ref`s are followed (what checking
 * costs). A schema of a few lines can name its definitions exponentially many times (each of
 * 20 levels an `anyOf` of two refs to the next: 2^20 paths under 2 KB of JSON), and Ajv then
 * held the event loop, every user's requests with it, until its time limit stopped it. Each
 * subschema is counted once per path that reaches it (memoised, so the walk stays linear); a
 * ref back into a subschema being counted (a recursive schema) counts 1, its cost following
 * the data's depth, which the checker's time limit still bounds.
 */
type Json = unknown;

/** A schema's own subschemas (objects and arrays) at most, and at most once its refs are followed. */
const MAX_SCHEMA_NODES = 1000;
const MAX_EXPANDED_NODES = 20_000;

/** Why the schema is too costly to compile and check, or undefined when it is within the bounds. */
export function schemaTooLarge(root: Json): string | undefined {
  const { nodes, anchors } = walk(root);
  if (nodes > MAX_SCHEMA_NODES)
    return `it has more than ${MAX_SCHEMA_NODES} subschemas; send a smaller schema`;
  if (expandedSize(root, anchors, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES)
    return `it expands (its $refs followed) to more than ${MAX_EXPANDED_NODES} subschemas; send fewer references to its definitions`;
  return undefined;
}

/** The schema's size with refs followed, counted up to `limit` + 1 (past the limit the count stops). */
function expandedSize(root: Json, anchors: Map<string, object>, limit: number): number {
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
        const target = resolve(root, anchors, value);
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
 * The schema's own subschemas, counted, and its `$anchor`/`$dynamicAnchor` names to their
 * subschemas (a `#name` ref's target). Iterative: a deeply nested schema cannot overflow the stack.
 */
function walk(root: Json): { nodes: number; anchors: Map<string, object> } {
  const anchors = new Map<string, object>();
  const stack: Json[] = [root];
  const seen = new Set<object>();
  // Past the bound the count stops: the schema is refused whatever the rest holds.
  while (stack.length > 0 && seen.size <= MAX_SCHEMA_NODES) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const record = node as Record<string, Json>;
    for (const key of ['$anchor', '$dynamicAnchor'])
      if (typeof record[key] === 'string') anchors.set(record[key] as string, node);
    // One by one: spreading an array of a million items would pass too many arguments.
    for (const value of Object.values(record))
      if (typeof value === 'object' && value !== null) stack.push(value);
  }
  return { nodes: seen.size, anchors };
}

/** A local ref's target (`#`, `#/json/pointer`, `#anchor`); undefined for others (Ajv refuses them). */
function resolve(root: Json, anchors: Map<string, object>, ref: string): Json {
  const hash = ref.indexOf('#');
  if (hash < 0) return undefined;
  let fragment: string;
  try {
    fragment = decodeURIComponent(ref.slice(hash + 1));
  } catch {
    return undefined;
  }
  if (fragment === '') return root;
  if (!fragment.startsWith('/')) return anchors.get(fragment);
  let at: Json = root;
  for (const part of fragment.slice(1).split('/')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, Json>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return at;
}
