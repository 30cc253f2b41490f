/** What the factory needs from a llama_cpp registry entry, kept beside the adapter. */
import type { ProviderEntry } from '@oxydra/types';
import type { LocalModelSettings } from '../define.js';
import { requireLlamaCpp, resolveLocalModel } from './locate.js';

/** Throws a ConfigError (exit 2) when node-llama-cpp or the model file is missing. */
export function checkLocalModel(model: string, keyPath: string): void {
  requireLlamaCpp();
  resolveLocalModel(model, { keyPath });
}

export function localSettings(entry: ProviderEntry): LocalModelSettings {
  return {
    ...(entry.context_size !== undefined ? { contextSize: entry.context_size } : {}),
    ...(entry.gpu_layers !== undefined ? { gpuLayers: entry.gpu_layers } : {}),
    ...(entry.threads !== undefined ? { threads: entry.threads } : {}),
    ...(entry.tool_choice !== undefined ? { toolChoice: entry.tool_choice } : {}),
    ...(entry.max_output_tokens !== undefined ? { maxOutputTokens: entry.max_output_tokens } : {}),
  };
}

/**
 * The entry as budgets and prices read it: the context size is the model's window (unless
 * max_context_tokens says otherwise), and a model run on this machine costs nothing per token
 * (unless `free = false`), so dollar caps hold and costs read $0.
 */
export function localEntry(entry: ProviderEntry): ProviderEntry {
  return {
    ...entry,
    free: entry.free ?? true,
    ...(entry.max_context_tokens === undefined && entry.context_size !== undefined
      ? { max_context_tokens: entry.context_size }
      : {}),
  };
}
