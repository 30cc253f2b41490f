/**
 * The shape of data/models.json: models.dev's field names, limited to the providers and fields
 * Oxydra uses (scripts/update-catalog.mjs writes it). Prices are US dollars per million tokens.
 */

export interface CatalogCost {
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write?: number;
}

export interface CatalogEntry {
  id: string;
  name: string;
  family?: string;
  attachment?: boolean;
  reasoning?: boolean;
  tool_call?: boolean;
  temperature?: boolean;
  structured_output?: boolean;
  open_weights?: boolean;
  knowledge?: string;
  release_date?: string;
  last_updated?: string;
  status?: string;
  modalities?: { input?: string[]; output?: string[] };
  cost?: CatalogCost;
  limit?: { context?: number; input?: number; output?: number };
  /** Set when the model came from the supplementary source rather than models.dev itself. */
  source?: string;
}

export interface CatalogProvider {
  id: string;
  name: string;
  models: Record<string, CatalogEntry>;
}

export interface CatalogSource {
  name: string;
  kind: string;
  role: string;
}

export interface CatalogSnapshot {
  schema_version: number;
  sources: CatalogSource[];
  providers: Record<string, CatalogProvider>;
}
