/**
 * Doctor's endpoint checks: every server a run or the embedder would call is asked for its
 * model list, so "Ready." means something is listening there and accepts the key, not just
 * that the configuration parses.
 */
import { isCustomEndpoint, resolveCredential } from '@oxydra/config';
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

export async function endpointChecks(config: AgentConfig, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const { probeEndpoint } = await import('@oxydra/provider');
  const probes = usedEntries(config).flatMap((name) => {
    const entry = config.providers.registry[name];
    // A hosted API without a key has failed its credential check already: nothing to learn.
    if (!entry || (!isCustomEndpoint(entry) && !resolveCredential(entry, env))) return [];
    return [
      probeEndpoint(entry, { env }).then((result): Check => {
        const checkName = `endpoint ${name}`;
        if (result.ok) {
          const models = `${result.models} model${result.models === 1 ? '' : 's'}`;
          return { name: checkName, status: 'ok', detail: `${result.url} reachable, ${models}` };
        }
        return {
          name: checkName,
          status: 'fail',
          detail: result.problem,
          ...(result.hint ? { fix: result.hint } : {}),
        };
      }),
    ];
  });
  return Promise.all(probes);
}
