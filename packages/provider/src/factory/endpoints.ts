/**
 * The hosted API of each wire type, and whether an entry points at it or at a custom server.
 * This decides which keys an entry may be sent (see credentials.ts), so it lives here, once,
 * for chat, embeddings, doctor and the scrubber alike.
 */
import type { ProviderEntry, ProviderType } from '@oxydra/types';
import { byWireApi } from '../wire-apis.js';

export const DEFAULT_BASE_URLS: Record<ProviderType, string> = byWireApi((api) => api.defaultBaseUrl);

/**
 * True when `baseURL` is the provider type's own hosted API. Those always need a key and serve
 * exactly the catalog's models; a custom server (Ollama, vLLM, a proxy) may need neither.
 */
export function isHostedEndpoint(providerType: ProviderType, baseURL: string): boolean {
  try {
    const url = new URL(baseURL);
    const hosted = new URL(DEFAULT_BASE_URLS[providerType]);
    return url.protocol === hosted.protocol && url.host === hosted.host;
  } catch {
    return false;
  }
}

/** The URL an entry's requests go to: its base_url, else its provider type's hosted API. */
export function entryBaseURL(entry: Pick<ProviderEntry, 'provider_type' | 'base_url'>): string {
  return entry.base_url ?? DEFAULT_BASE_URLS[entry.provider_type];
}

/** The entry points somewhere other than its provider's own API (a proxy, a local server). */
export function isCustomEndpoint(entry: Pick<ProviderEntry, 'provider_type' | 'base_url'>): boolean {
  return !isHostedEndpoint(entry.provider_type, entryBaseURL(entry));
}
