/**
 * Doctor's endpoint checks: every server a run or the embedder would call, and every other
 * entry pointed at a server of the user's, is asked for its model list, so "Ready." means
 * something is listening there and accepts the key, not just that the configuration parses.
 */
import { isCustomEndpoint, resolveCredential } from '@oxydra/provider';
import type { AgentConfig } from '@oxydra/types';
import type { Check } from './doctor-check.js';

/** The registry entries a run would call: the selection, its fallbacks, the embedding API. */
function usedEntries(config: AgentConfig): string[] {
  const names = [config.selection.provider, ...config.selection.fallbacks.map((f) => f.provider)];
  const backend = config.memory.embedding_backend;
  if (config.memory.enabled && (backend === 'openai' || backend === 'gemini')) {
    names.push(config.memory.embedding_provider ?? backend);
  }
  return [...new Set(names)];
}

/** What to probe: what a run would call, and every entry pointed at a server of the user's. */
function probedEntries(config: AgentConfig): { name: string; used: boolean }[] {
  const used = usedEntries(config);
  const custom = Object.entries(config.providers.registry)
    .filter(([name, entry]) => !used.includes(name) && isCustomEndpoint(entry))
    .map(([name]) => name);
  return [...used.map((name) => ({ name, used: true })), ...custom.map((name) => ({ name, used: false }))];
}

export async function endpointChecks(config: AgentConfig, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const { probeEndpoint } = await import('@oxydra/provider');
  const probes = probedEntries(config).flatMap(({ name, used }) => {
    const entry = config.providers.registry[name];
    // A hosted API without a key has failed its credential check already: nothing to learn.
    if (!entry || (!isCustomEndpoint(entry) && !resolveCredential(entry, env))) return [];
    const checkName = `endpoint ${name}`;
    return [
      probeEndpoint(entry, { env }).then((result): Check => {
        if (result.ok) {
          const models = `${result.models} model${result.models === 1 ? '' : 's'}`;
          return { name: checkName, status: 'ok', detail: `${result.url} reachable, ${models}` };
        }
        return {
          name: checkName,
          // An entry no run uses cannot stop one: worth knowing, not a failure.
          status: used ? 'fail' : 'warn',
          detail: `${result.problem}${used ? '' : ' (not used by the current selection)'}`,
          ...(result.hint ? { fix: result.hint } : {}),
        };
      }),
    ];
  });
  return Promise.all(probes);
}
