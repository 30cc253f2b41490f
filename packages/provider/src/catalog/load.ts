/**
 * Loads the pinned catalog (data/models.json) on first use. It is read synchronously and once:
 * importing @oxydra/provider must stay cheap, and every lookup after the first is a map access.
 */
import { readFileSync } from 'node:fs';
import { providerFile } from '../package-files.js';
import type { CatalogSnapshot } from './snapshot.js';

export const CATALOG_SCHEMA_VERSION = 1;

let cached: CatalogSnapshot | undefined;

export function loadCatalog(): CatalogSnapshot {
  if (!cached) {
    const path = providerFile('data/models.json');
    cached = parseCatalog(readFileSync(path, 'utf8'), path);
  }
  return cached;
}

/** Parse and sanity-check a snapshot; `source` names the file in error messages. */
export function parseCatalog(text: string, source = 'model catalog'): CatalogSnapshot {
  const data = JSON.parse(text) as Partial<CatalogSnapshot> | null;
  if (data === null || typeof data !== 'object' || typeof data.providers !== 'object' || !data.providers) {
    throw new Error(`${source}: not a model catalog (no "providers" object)`);
  }
  if (data.schema_version !== CATALOG_SCHEMA_VERSION) {
    throw new Error(
      `${source}: schema_version ${String(data.schema_version)} is not ${CATALOG_SCHEMA_VERSION}; regenerate it with scripts/update-catalog.mjs`,
    );
  }
  return { schema_version: data.schema_version, sources: data.sources ?? [], providers: data.providers };
}
