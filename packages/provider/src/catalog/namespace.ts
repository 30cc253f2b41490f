/** Which catalog namespace (models.dev provider id) a registry entry's models are looked up in. */
import type { ProviderType } from '@oxydra/types';
import { byWireApi } from '../wire-apis.js';

export const CATALOG_NAMESPACE_BY_TYPE: Record<ProviderType, string> = byWireApi(
  (api) => api.catalogNamespace,
);

/** An entry's `catalog_provider` wins (e.g. "openai" for an OpenAI-compatible proxy of OpenAI models). */
export function catalogNamespace(providerType: ProviderType, entry?: { catalog_provider?: string }): string {
  return entry?.catalog_provider ?? CATALOG_NAMESPACE_BY_TYPE[providerType];
}
