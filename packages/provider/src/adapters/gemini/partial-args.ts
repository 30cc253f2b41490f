/**
 * Gemini (Vertex) streams function-call arguments as `partialArgs`: a JSON path and a value,
 * string values arriving in pieces (`willContinue`). This rebuilds the arguments object.
 */

export interface PartialArg {
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: unknown;
}

type Segment = string | number;

/** `$.a.b[0]["c d"]` → ["a", "b", 0, "c d"]; undefined for paths we cannot read. */
export function parseJsonPath(path: string): Segment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: Segment[] = [];
  const pattern = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/y;
  pattern.lastIndex = 1;
  while (pattern.lastIndex < path.length) {
    const match = pattern.exec(path);
    if (match === null) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[3] ?? match[4] ?? '').replace(/\\(.)/g, '$1'));
  }
  return segments;
}

type Container = Record<string, unknown> | unknown[];

function child(container: Container, key: Segment, next: Segment | undefined): Container {
  const existing = (container as Record<Segment, unknown>)[key];
  if (typeof existing === 'object' && existing !== null) return existing as Container;
  const created: Container = typeof next === 'number' ? [] : {};
  (container as Record<Segment, unknown>)[key] = created;
  return created;
}

export function applyPartialArg(target: Record<string, unknown>, arg: PartialArg): void {
  const path = arg.jsonPath === undefined ? undefined : parseJsonPath(arg.jsonPath);
  // `__proto__` would re-parent the object instead of adding a key.
  if (path === undefined || path.length === 0 || path.includes('__proto__')) return;
  let container: Container = target;
  for (let i = 0; i < path.length - 1; i++) container = child(container, path[i] as Segment, path[i + 1]);
  const key = path[path.length - 1] as Segment;
  const slot = container as Record<Segment, unknown>;
  if (arg.stringValue !== undefined) {
    const previous = slot[key];
    slot[key] = (typeof previous === 'string' ? previous : '') + arg.stringValue;
  } else if (arg.numberValue !== undefined) slot[key] = arg.numberValue;
  else if (arg.boolValue !== undefined) slot[key] = arg.boolValue;
  else if (arg.nullValue !== undefined) slot[key] = null;
}
