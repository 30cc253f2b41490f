/**
 * Doctor's endpoint checks: every server a run or the embedder would call, and every other
 * entry pointed at a server of the user's, is asked for its model list, so "Ready." means
 * something is listening there and serves the models the configuration names (a local server
 * with no model pulled, or another one than configured, fails here rather than at the first
 * run). The line says whether the key was proven: a server that lists its models to anyone
 * accepts any key there, so a wrong one shows only at the first model call.
 */

import type { ProbedKey } from '@oxydra/provider';
import { checkLocalModel, isCustomEndpoint, resolveCredential, servesModel } from '@oxydra/provider';
import { type AgentConfig, isOxydraError, WIRE_FACTS } from '@oxydra/types';
import type { Check } from './doctor-check.js';

/** The registry entries a run would call: the selection, its fallbacks, the embedding API. */
export function usedEntries(config: AgentConfig): string[] {
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
  // A model run in process has no server to probe (localChecks looks at its file instead).
  const custom = Object.entries(config.providers.registry)
    .filter(
      ([name, entry]) =>
        !used.includes(name) && isCustomEndpoint(entry) && !WIRE_FACTS[entry.provider_type].inProcess,
    )
    .map(([name]) => name);
  return [...used.map((name) => ({ name, used: true })), ...custom.map((name) => ({ name, used: false }))];
}

/** The models a run would ask each entry for: the selection's, the fallbacks', the embedder's. */
function wantedModels(config: AgentConfig): Map<string, string[]> {
  const wanted = new Map<string, string[]>();
  const add = (name: string, model: string | undefined) => {
    if (model !== undefined) wanted.set(name, [...new Set([...(wanted.get(name) ?? []), model])]);
  };
  add(config.selection.provider, config.selection.model);
  for (const fallback of config.selection.fallbacks) add(fallback.provider, fallback.model);
  const backend = config.memory.embedding_backend;
  if (config.memory.enabled && (backend === 'openai' || backend === 'gemini'))
    add(config.memory.embedding_provider ?? backend, config.memory.embedding_model);
  return wanted;
}

/** What the listing proved about the key, as the ok line says it. */
const KEY_NOTE: Record<ProbedKey, string> = {
  accepted: ', key accepted',
  unchecked: '; key not verified (the server lists its models without one too)',
  none: '',
};

/** The served-model check of one reachable entry: ok, or what is missing and how to get it. */
function modelCheck(
  name: string,
  url: string,
  { ids, key }: { ids: string[]; key: ProbedKey },
  wanted: string[],
  used: boolean,
): Check {
  const models = `${ids.length} model${ids.length === 1 ? '' : 's'}`;
  const missing = wanted.filter((model) => !servesModel(ids, model));
  if (missing.length === 0)
    return { name, status: 'ok', detail: `${url} reachable, ${models}${KEY_NOTE[key]}` };
  const listed =
    ids.length === 0
      ? 'it lists none'
      : `it lists ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? `, and ${ids.length - 5} more` : ''}`;
  return {
    name,
    status: used ? 'fail' : 'warn',
    detail: `${url} reachable, but ${missing.map((model) => `"${model}"`).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not among its models (${listed})`,
    fix:
      ids.length === 0
        ? 'load or pull the model on the server (for Ollama: ollama pull <model>)'
        : 'pull it on the server, or choose one it serves: --model, or [selection] model',
  };
}

export async function endpointChecks(config: AgentConfig, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const { probeEndpoint } = await import('@oxydra/provider');
  const wanted = wantedModels(config);
  const probes = probedEntries(config).flatMap(({ name, used }) => {
    const entry = config.providers.registry[name];
    if (entry && WIRE_FACTS[entry.provider_type].inProcess) return [localCheck(name, wanted.get(name) ?? [])];
    // A hosted API without a key has failed its credential check already: nothing to learn.
    if (!entry || (!isCustomEndpoint(entry) && !resolveCredential(entry, env))) return [];
    const checkName = `endpoint ${name}`;
    return [
      probeEndpoint(entry, { env }).then((result): Check => {
        // A hosted API's listing leaves out aliases (claude-...-latest): only the user's own
        // server (Ollama, vLLM, LM Studio) is held to serving exactly the configured names.
        if (result.ok)
          return modelCheck(
            checkName,
            result.url,
            result,
            isCustomEndpoint(entry) ? (wanted.get(name) ?? []) : [],
            used,
          );
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

/** A used llama_cpp entry: node-llama-cpp installed and each model file there (no server to ask). */
function localCheck(name: string, models: readonly string[]): Promise<Check> {
  const checkName = `local model ${name}`;
  try {
    for (const model of models) checkLocalModel(model, 'selection.model');
    return Promise.resolve({
      name: checkName,
      status: 'ok',
      detail: `node-llama-cpp installed; ${models.join(', ')} found`,
    });
  } catch (error) {
    const detail = isOxydraError(error) ? error.message : String(error);
    return Promise.resolve({ name: checkName, status: 'fail', detail });
  }
}
