/**
 * The model a registry entry runs, checked against the catalog by the one rule every caller
 * shares: a run (createProviderFromConfig), `oxydra doctor` and `oxydra init` must agree on
 * which model ids are refused, or doctor says "Ready." and init writes a file the first run
 * then rejects.
 */

import type { AgentConfig, ProviderEntry } from '@oxydra/types';
import { type ModelInfo, resolveModel } from '../catalog/models.js';
import { isCustomEndpoint } from './credentials.js';

/** A hosted API, or a custom server that says which catalog prices it (`catalog_provider`). */
export function catalogKnowsServer(entry: ProviderEntry): boolean {
  return !isCustomEndpoint(entry) || entry.catalog_provider !== undefined;
}

/**
 * The entry's model info; throws the catalog's ConfigError ("did you mean") for an id the
 * catalog does not list, unless the catalog cannot know the server's models (a custom server
 * such as Ollama serves llama3.2) or `[catalog] skip_catalog_validation` is set.
 */
export function checkedModel(
  config: AgentConfig,
  entry: ProviderEntry,
  model: string,
  labels: { providerName: string; keyPath: string },
): ModelInfo {
  return resolveModel(entry, entry.provider_type, model, {
    skipValidation: config.catalog.skip_catalog_validation || !catalogKnowsServer(entry),
    ...labels,
  });
}
