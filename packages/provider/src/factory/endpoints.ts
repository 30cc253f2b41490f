/** The hosted API of each wire type, and whether an entry points at it or at a custom server. */
import type { ProviderType } from '@oxydra/types';

export const DEFAULT_BASE_URLS: Record<ProviderType, string> = {
  openai: 'https://api.openai.com/v1',
  openai_responses: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

/**
 * True when `baseURL` is the provider type's own hosted API. Those always need a key and serve
 * exactly the catalog's models; a custom server (Ollama, vLLM, a proxy) may need neither.
 */
export function isHostedEndpoint(providerType: ProviderType, baseURL: string): boolean {
  try {
    return new URL(baseURL).hostname === new URL(DEFAULT_BASE_URLS[providerType]).hostname;
  } catch {
    return false;
  }
}
