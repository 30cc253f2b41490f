/**
 * `oxydra models list [--provider P]` and `oxydra models show <id>`: the pinned model catalog
 * (context windows, output limits, capabilities, prices) that validation and budgets rely on.
 * --provider takes a catalog namespace (openai, anthropic, google) or a registry entry name;
 * `--local`, or an entry that runs models in process (llama_cpp, such as the built-in `local`),
 * lists the GGUF files in the local models folder instead.
 */

import {
  catalogModelIds,
  catalogNamespace,
  catalogNamespaces,
  didYouMeanModel,
  findModel,
  findModelAnywhere,
  formatModelDetails,
  formatModelList,
  listModels,
  localModelsDir,
} from '@oxydra/provider';
import { didYouMean, UsageError, WIRE_FACTS } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';
import { printLines } from '../run/print.js';
import { formatLocalModels, listLocalModels } from './models-local.js';

/** A catalog namespace from a namespace or a registry entry name (gemini -> google). */
async function namespaceFor(provider: string): Promise<string> {
  if (catalogNamespaces().includes(provider)) return provider;
  const { config } = await loadCliConfig();
  const entry = config.providers.registry[provider];
  if (entry) return catalogNamespace(entry.provider_type, entry);
  const known = new Set([...catalogNamespaces(), ...Object.keys(config.providers.registry)]);
  throw new UsageError(
    `unknown provider "${provider}"${didYouMean(provider, known)}: use a catalog namespace (${catalogNamespaces().join(', ')}) or a [providers.registry] name (${Object.keys(config.providers.registry).join(', ')})`,
  );
}

/** Whether the provider names a registry entry whose models are local files. */
async function runsInProcess(provider: string | undefined): Promise<boolean> {
  if (provider === undefined || catalogNamespaces().includes(provider)) return false;
  const { config } = await loadCliConfig();
  const entry = config.providers.registry[provider];
  return entry !== undefined && WIRE_FACTS[entry.provider_type].inProcess === true;
}

export async function runModelsList(options: {
  provider?: string;
  json?: boolean;
  local?: boolean;
}): Promise<number> {
  if (options.local === true || (await runsInProcess(options.provider))) {
    const dir = localModelsDir();
    const files = await listLocalModels(dir);
    // A local model's name is its file's (and the names a GGUF file holds): made visible.
    if (options.json) process.stdout.write(`${JSON.stringify(files, null, 2)}\n`);
    else printLines(formatLocalModels(dir, files));
    return EXIT_OK;
  }
  const models = listModels(
    options.provider === undefined ? undefined : await namespaceFor(options.provider),
  );
  process.stdout.write(options.json ? `${JSON.stringify(models, null, 2)}\n` : formatModelList(models));
  return EXIT_OK;
}

export async function runModelsShow(
  id: string,
  options: { provider?: string; json?: boolean },
): Promise<number> {
  let models = findModelAnywhere(id);
  if (options.provider !== undefined) {
    const namespace = await namespaceFor(options.provider);
    const model = findModel(namespace, id);
    models = model ? [model] : [];
    if (!model) {
      throw new UsageError(
        `unknown model "${id}" in ${namespace}${didYouMeanModel(id, catalogModelIds(namespace))}`,
      );
    }
  }
  if (models.length === 0) {
    const all = catalogNamespaces().flatMap((namespace) => catalogModelIds(namespace));
    throw new UsageError(`unknown model "${id}"${didYouMeanModel(id, all)}`, {
      hint: 'list the known models with `oxydra models list`',
    });
  }
  process.stdout.write(
    options.json
      ? `${JSON.stringify(models.length === 1 ? models[0] : models, null, 2)}\n`
      : models.map(formatModelDetails).join('\n'),
  );
  return EXIT_OK;
}
