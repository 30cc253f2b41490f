/**
 * Which model ids init accepts: those a run accepts. A hosted provider's come from the catalog,
 * unless the user's or the system's files set `[catalog] skip_catalog_validation` (then a run
 * takes any id, and init must not refuse one).
 */
import { loadAgentConfig } from '@oxydra/config';
import { DEFAULT_PROVIDER_REGISTRY, isOxydraError } from '@oxydra/types';

/** The setting from the files already there; a file that cannot load is said by the run, not here. */
export async function catalogSkipped(): Promise<boolean> {
  try {
    const { config } = await loadAgentConfig({ cwd: process.cwd(), trust: 'this-run' });
    return config.catalog.skip_catalog_validation;
  } catch {
    return false;
  }
}

/** For the Model question: the catalog's refusal ("did you mean"), or undefined for an id it takes. */
export async function hostedModelProblem(): Promise<(provider: string, model: string) => string | undefined> {
  const skip = await catalogSkipped();
  const { resolveModel } = await import('@oxydra/provider');
  return (provider, model) => {
    const entry = DEFAULT_PROVIDER_REGISTRY[provider];
    if (skip || !entry) return undefined;
    try {
      resolveModel(undefined, entry.provider_type, model, { providerName: provider });
      return undefined;
    } catch (error) {
      if (isOxydraError(error)) return error.message;
      throw error;
    }
  };
}
