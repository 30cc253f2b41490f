/**
 * Loads the pinned catalog (data/models.json) on first use. It is read synchronously and once:
 * importing @oxydra/provider must stay cheap, and every lookup after the first is a map access.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CatalogSnapshot } from './snapshot.js';

export const CATALOG_SCHEMA_VERSION = 1;

/** From dist/catalog/ (and src/catalog/) two levels up is the package root, which ships data/. */
const DEFAULT_CATALOG_URL = new URL('../../data/models.json', import.meta.url);

let cached: CatalogSnapshot | undefined;

export function loadCatalog(): CatalogSnapshot {
  if (!cached)
    cached = parseCatalog(readFileSync(DEFAULT_CATALOG_URL, 'utf8'), fileURLToPath(DEFAULT_CATALOG_URL));
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
