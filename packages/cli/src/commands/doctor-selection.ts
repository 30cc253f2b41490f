/**
 * `oxydra doctor`'s selection line: the provider and model a run would use, and each fallback,
 * with the model id checked against the catalog by the rule a run applies (checkedModel), so a
 * typo a run would refuse is a failed check here, not "Ready.".
 */
import { type AgentConfig, isOxydraError } from '@oxydra/types';
import type { Check } from './doctor-check.js';

export async function selectionCheck(config: AgentConfig): Promise<Check> {
  const { checkedModel } = await import('@oxydra/provider');
  const { provider, model, fallbacks } = config.selection;
  const targets = [{ provider, model, keyPath: 'selection.model' }].concat(
    fallbacks.map((ref, i) => ({ ...ref, keyPath: `selection.fallbacks.${i}.model` })),
  );
  const shown = `${provider} / ${model}`;
  for (const target of targets) {
    // Loading the configuration already refused a provider the registry lacks.
    const entry = config.providers.registry[target.provider];
    if (!entry) continue;
    try {
      checkedModel(config, entry, target.model, { providerName: target.provider, keyPath: target.keyPath });
    } catch (error) {
      if (!isOxydraError(error)) throw error;
      const label = target.keyPath === 'selection.model' ? '' : ` (${target.keyPath})`;
      return {
        name: 'selection',
        status: 'fail',
        detail: `${shown}${label}: ${error.message}`,
        ...(error.hint !== undefined ? { fix: error.hint } : {}),
      };
    }
  }
  return { name: 'selection', status: 'ok', detail: shown };
}
