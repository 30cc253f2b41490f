/**
 * `oxydra doctor`'s costs line: which caps apply to the selected model. A dollar cap needs a
 * price: a model the catalog prices, or one the user declared free (`free = true` on its
 * provider entry, as `oxydra init --base-url` writes for a local server). An unpriced model
 * still runs, but every dollar cap refuses it, scheduled runs included (scheduler.max_cost).
 */
import { type AgentConfig, WIRE_FACTS } from '@oxydra/types';
import type { Check } from './doctor-check.js';

export async function costsCheck(config: AgentConfig): Promise<Check> {
  const { provider, model } = config.selection;
  const entry = Object.hasOwn(config.providers.registry, provider)
    ? config.providers.registry[provider]
    : undefined;
  if (!entry) return { name: 'costs', status: 'ok', detail: `provider "${provider}" is not configured` };
  // A model run in process costs nothing unless the entry says otherwise (as the factory prices it).
  if (entry.free ?? WIRE_FACTS[entry.provider_type].inProcess === true) {
    return {
      name: 'costs',
      status: 'ok',
      detail: `${provider} / ${model} is free (providers.registry.${provider}.free): dollar caps hold at $0; turn and time caps apply`,
    };
  }
  const { catalogKnowsServer, pricesKnown, resolveModel } = await import('@oxydra/provider');
  const priced = catalogKnowsServer(entry)
    ? resolveModel(entry, entry.provider_type, model, { skipValidation: true }).prices
    : undefined;
  if (pricesKnown(priced)) {
    return {
      name: 'costs',
      status: 'ok',
      detail: `${model}: $${priced.input} in, $${priced.output} out per million tokens (the model catalog); dollar caps apply`,
    };
  }
  return {
    name: 'costs',
    status: 'warn',
    detail: `the prices of ${model} (provider ${provider}) are unknown: it runs, but a dollar cap cannot be enforced on it, so scheduled runs (scheduler.max_cost $${config.scheduler.max_cost}) and any runtime.max_cost or [budgets] cap refuse it`,
    fix: `if it costs nothing (your own server): free = true under [providers.registry.${provider}]; else catalog_provider on that entry`,
  };
}
