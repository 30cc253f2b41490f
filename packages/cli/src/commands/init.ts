import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  loadAgentConfig,
  parseTomlText,
  recordDecision,
  validateAgentValues,
  workspaceConfigDirectory,
  writeFileAtomic,
} from '@oxydra/config';
import { WRITE_FIX, writeProblem } from '@oxydra/kernel/workspace';
import { DEFAULT_PROVIDER_REGISTRY, didYouMean, UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from '../exit-codes.js';
import { checkVariableName, storeKey, userProvidersFile } from './init-key.js';
import { catalogSkipped } from './init-model.js';
import { agentTomlTemplate, DEFAULT_MODELS, type InitPlan, PROVIDER_KEY_ENV } from './init-template.js';

export interface InitOptions {
  /** Default openai; commander gives no default, so that an explicit --provider is seen. */
  provider?: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  force?: boolean;
  yes?: boolean;
  /** false with --no-input. */
  input?: boolean;
}

/**
 * Ask only a person at a terminal who gave none of the choices as flags: a script, a pipe, CI
 * or any choice on the command line gets exactly the flag behaviour.
 */
function shouldAsk(options: InitOptions): boolean {
  const chosen = [options.provider, options.model, options.baseUrl, options.apiKeyEnv].some(
    (flag) => flag !== undefined,
  );
  return (
    !chosen &&
    !options.yes &&
    options.input !== false &&
    !process.env.CI &&
    Boolean(process.stdin.isTTY && process.stdout.isTTY)
  );
}

function agentTomlPath(): { path: string; shown: string } {
  // Here, not in a workspace found above: init makes this folder a workspace.
  const path = join(workspaceConfigDirectory({ cwd: process.cwd() }), 'agent.toml');
  return { path, shown: relative(process.cwd(), path) || path };
}

function refuseOverwrite(path: string, shown: string, force: boolean | undefined): void {
  if (existsSync(path) && !force) {
    throw new UsageError(`${shown} already exists; not overwriting it`, {
      hint: 'pass --force to replace it, or edit it by hand',
    });
  }
}

export async function runInit(options: InitOptions): Promise<number> {
  const { provider = 'openai', yes: _yes, input: _input, ...rest } = options;
  if (!shouldAsk(options)) return writeInit({ ...rest, provider });
  // Refused before the first question, not after the last.
  const { path, shown } = agentTomlPath();
  refuseOverwrite(path, shown, options.force);
  const { askInit } = await import('./init-interactive.js');
  const plan = await askInit(userProvidersFile());
  if (plan === 'cancelled') return EXIT_INTERRUPTED;
  if (plan === 'declined') return EXIT_FAILURE;
  return writeInit({ ...plan, ...(options.force ? { force: true } : {}) });
}

/** The one way init writes: flags and answers alike are checked, written, trusted and recorded here. */
export async function writeInit(plan: InitPlan): Promise<number> {
  const { path, shown } = agentTomlPath();
  refuseOverwrite(path, shown, plan.force);
  const known = Object.keys(DEFAULT_PROVIDER_REGISTRY);
  // A misspelt provider is named as such, before anything asks for its model.
  if (!plan.baseUrl && !known.includes(plan.provider)) {
    throw new UsageError(
      `--provider: unknown provider "${plan.provider}"${didYouMean(plan.provider, known)}`,
      {
        hint: `use one of ${known.join(', ')}; for a local OpenAI-compatible server, --base-url URL --model ID`,
      },
    );
  }
  const model = plan.model ?? (plan.baseUrl ? undefined : DEFAULT_MODELS[plan.provider]);
  if (model === undefined) {
    throw new UsageError(
      plan.baseUrl
        ? '--model is required with --base-url (the id your local server serves, e.g. --model llama3.2)'
        : `no default model for provider "${plan.provider}"; pass --model`,
    );
  }
  if (plan.apiKeyEnv !== undefined) checkVariableName(plan.apiKeyEnv);
  const content = agentTomlTemplate({
    provider: plan.provider,
    model,
    ...(plan.baseUrl ? { baseUrl: plan.baseUrl } : {}),
    ...(plan.apiKeyEnv ? { apiKeyEnv: plan.apiKeyEnv } : {}),
  });
  // Validate what we are about to write, so init never leaves a broken file behind, nor one
  // naming a model the first run would refuse (a hosted provider's ids are in the catalog).
  // The file is not there yet: a refusal names what the user typed. With the provider known,
  // the one value that can fail is the server's URL (the prompts check it as it is typed).
  const config = await validateAgentValues(parseTomlText(content, path), plan.baseUrl ? '--base-url' : path);
  const { checkedModel } = await import('@oxydra/provider');
  const { provider } = config.selection;
  const entry = config.providers.registry[provider];
  if (entry && !(await catalogSkipped())) {
    checkedModel(config, entry, model, { providerName: provider, keyPath: 'selection.model' });
  }
  const problem = writeProblem(path);
  if (problem) throw new UsageError(`cannot write ${shown}: ${path} is ${problem}`, { hint: WRITE_FIX });
  // The key first: should its file refuse the edit, no agent.toml is left expecting it.
  const keyFile = plan.apiKey !== undefined ? await storeKey(plan.provider, plan.apiKey) : undefined;
  const replaced = existsSync(path);
  await writeFileAtomic(path, content);
  process.stdout.write(`wrote ${shown}\n`);
  // Trusted first: recording the change opens the workspace's services, which load this file.
  await trustWhatInitWrote(path);
  await recordConfigChange(shown, content, replaced);
  process.stdout.write(`${nextStep(plan, keyFile)}\n`);
  if (plan.baseUrl) {
    // The commonest local-server mistake, caught before the first 404.
    const { missingVersionHint } = await import('@oxydra/provider');
    const hint = missingVersionHint(plan.baseUrl);
    if (hint) process.stdout.write(`note: ${plan.baseUrl} has no /v1; ${hint}\n`);
  }
  return EXIT_OK;
}

/** What the user does next, naming the variable to export when the key is to come from one. */
function nextStep(plan: InitPlan, keyFile: string | undefined): string {
  const doctor = plan.baseUrl ? `oxydra doctor  (checks that ${plan.baseUrl} answers)` : '`oxydra doctor`';
  if (keyFile) return `key stored in ${keyFile} (readable only by you); next: ${doctor}`;
  const named = plan.apiKeyEnv ?? (plan.baseUrl ? undefined : PROVIDER_KEY_ENV[plan.provider]);
  // Already exported (`export OPENAI_API_KEY=… && oxydra init`): nothing is left but the check.
  if (named && process.env[named]) return `key from $${named}; next: ${doctor}`;
  if (plan.apiKeyEnv) return `next: export ${plan.apiKeyEnv}=<your key>, then run ${doctor}`;
  if (plan.baseUrl) return `next: ${doctor}`;
  const variable = PROVIDER_KEY_ENV[plan.provider] ?? 'e.g. OPENAI_API_KEY';
  return `next: export the API key of your provider (${variable}), then run ${doctor}`;
}

/**
 * A configuration change made through Oxydra is an audit entry (the file, whether it replaced
 * one, and the new content's SHA-256). The file is written either way: a workspace whose other
 * configuration cannot load yet still gets its agent.toml, with a warning.
 */
async function recordConfigChange(file: string, content: string, replaced: boolean): Promise<void> {
  try {
    const { withWorkspaceServices } = await import('../run/workspace-services.js');
    await withWorkspaceServices(['audit'], async ({ audit }) => {
      await audit.record(
        'cli',
        'config_change',
        {
          file,
          change: replaced ? 'replaced' : 'created',
          sha256: createHash('sha256').update(content).digest('hex'),
        },
        `config:${file}`,
      );
    });
  } catch (error) {
    process.stderr.write(
      `warning: could not record the change in the audit chain: ${(error as Error).message}\n`,
    );
  }
}

/**
 * The file init just wrote is the user's own: its settings that need trust (a local server's
 * base_url) are trusted for them. Only when they are all from that file: init --force in a folder
 * whose other files set such keys leaves those to `oxydra trust`.
 */
async function trustWhatInitWrote(path: string): Promise<void> {
  const workspace = process.cwd();
  const { trust } = await loadAgentConfig({ cwd: workspace, trust: 'this-run' });
  if (trust.held.every((held) => held.source === path)) {
    await recordDecision(workspace, trust.held, 'trusted');
  } else {
    process.stdout.write(
      'note: other files in .oxydra/ set things that need your trust: review them with `oxydra trust`\n',
    );
  }
}
