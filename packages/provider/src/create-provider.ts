import type { AgentConfig } from '@oxydra/types';
import { ADAPTER_FACTORIES } from './adapters/index.js';
import {
  type CreateProviderOptions,
  createProviderFromConfig,
  type ProviderSetup,
} from './factory/create.js';

/**
 * The provider a configuration selects, built on the real wire adapters: credentials resolved,
 * model validated against the catalog, retries, circuit breaker, fallbacks and dollar costs.
 */
export function createProvider(
  config: AgentConfig,
  options: Omit<CreateProviderOptions, 'adapters'> & Partial<Pick<CreateProviderOptions, 'adapters'>> = {},
): ProviderSetup {
  return createProviderFromConfig(config, { adapters: ADAPTER_FACTORIES, ...options });
}
