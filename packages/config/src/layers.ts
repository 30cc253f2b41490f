/**
 * Configuration layers and their merge. Each layer is a plain object plus a label naming
 * where it came from ("/home/u/.oxydra/agent.toml", "environment variable OXYDRA__X").
 * Merging records, for every key path, the label of the layer that set it last, so a
 * validation error can name the file that holds the bad value.
 */

export type PlainObject = Record<string, unknown>;

export interface ConfigLayer {
  /** Where the values came from, as shown to users. */
  source: string;
  values: PlainObject;
  /** Per-key sources inside this layer (environment layers set each key from its own variable). */
  keySources?: Map<string, string>;
}

export function isPlainObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

export interface MergeResult {
  values: PlainObject;
  /** Dotted key path -> source of the value in force. */
  provenance: Map<string, string>;
}

/** Deep-merge layers, lowest precedence first. Objects merge key by key; arrays and scalars replace. */
export function mergeLayers(layers: readonly ConfigLayer[]): MergeResult {
  const values: PlainObject = {};
  const provenance = new Map<string, string>();
  for (const layer of layers) mergeInto(values, layer.values, [], layer, provenance);
  return { values, provenance };
}

function mergeInto(
  target: PlainObject,
  source: PlainObject,
  path: string[],
  layer: ConfigLayer,
  provenance: Map<string, string>,
): void {
  for (const [key, value] of Object.entries(source)) {
    const keyPath = [...path, key];
    const dotted = keyPath.join('.');
    provenance.set(dotted, layer.keySources?.get(dotted) ?? layer.source);
    const existing = target[key];
    if (isPlainObject(value)) {
      const child = isPlainObject(existing) ? existing : {};
      target[key] = child;
      mergeInto(child, value, keyPath, layer, provenance);
    } else {
      target[key] = value;
    }
  }
}

/** Set a value at a key path, creating objects on the way. */
export function setPath(target: PlainObject, path: readonly string[], value: unknown): void {
  let current = target;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (isPlainObject(next)) current = next;
    else {
      const created: PlainObject = {};
      current[key] = created;
      current = created;
    }
  }
  current[path[path.length - 1]!] = value;
}

/** The source that set `path`, or the nearest enclosing key that has one. */
export function sourceOf(
  provenance: ReadonlyMap<string, string>,
  path: readonly (string | number)[],
): string | undefined {
  for (let end = path.length; end > 0; end--) {
    const found = provenance.get(path.slice(0, end).join('.'));
    if (found) return found;
  }
  return undefined;
}
