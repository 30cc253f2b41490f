/** Lookups in the pinned catalog. */
import { loadCatalog } from './load.js';
import { type ModelInfo, toModelInfo } from './model-info.js';
import type { CatalogEntry } from './snapshot.js';

/** Namespaces the catalog holds, sorted. */
export function catalogNamespaces(): string[] {
  return Object.keys(loadCatalog().providers).sort();
}

/** Model ids in a namespace, sorted; empty for an unknown namespace. */
export function catalogModelIds(namespace: string): string[] {
  return Object.keys(loadCatalog().providers[namespace]?.models ?? {}).sort();
}

/**
 * The catalog's entry for `id`, tolerating the spellings APIs accept for the same model:
 * Gemini's "models/" prefix, and a dated snapshot ("gpt-4o-mini-2024-07-18") of a listed alias.
 */
export function findCatalogEntry(namespace: string, id: string): CatalogEntry | undefined {
  const models = loadCatalog().providers[namespace]?.models;
  if (!models) return undefined;
  const own = (key: string) => (Object.hasOwn(models, key) ? models[key] : undefined);
  const bare = id.startsWith('models/') ? id.slice('models/'.length) : id;
  const undated = bare.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
  return own(id) ?? own(bare) ?? (undated !== bare ? own(undated) : undefined);
}

/** The model as ModelInfo, or undefined when the catalog does not know it. `id` stays as asked. */
export function findModel(namespace: string, id: string): ModelInfo | undefined {
  const entry = findCatalogEntry(namespace, id);
  if (!entry) return undefined;
  const info = toModelInfo(namespace, entry);
  if (entry.id !== id) info.id = id;
  return info;
}

/** Every model, or those of one namespace, sorted by namespace then id. */
export function listModels(namespace?: string): ModelInfo[] {
  const namespaces = namespace === undefined ? catalogNamespaces() : [namespace];
  return namespaces.flatMap((ns) =>
    catalogModelIds(ns).map((id) => toModelInfo(ns, loadCatalog().providers[ns]!.models[id]!)),
  );
}

/** Models with this id in any namespace (for `oxydra models show <id>` without --provider). */
export function findModelAnywhere(id: string): ModelInfo[] {
  return catalogNamespaces().flatMap((ns) => {
    const found = findModel(ns, id);
    return found ? [found] : [];
  });
}
