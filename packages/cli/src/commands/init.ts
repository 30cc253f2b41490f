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
import { WRITE_FIX, writeProblem } from '@oxydra/kernel';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit.js';
import { agentTomlTemplate, DEFAULT_MODELS } from './init-template.js';

export interface InitOptions {
  provider: string;
  model?: string;
  baseUrl?: string;
  force?: boolean;
}

export async function runInit(options: InitOptions): Promise<number> {
  // Here, not in a workspace found above: init makes this folder a workspace.
  const path = join(workspaceConfigDirectory({ cwd: process.cwd() }), 'agent.toml');
  const shown = relative(process.cwd(), path) || path;
  if (existsSync(path) && !options.force) {
    throw new UsageError(`${shown} already exists; not overwriting it`, {
      hint: 'pass --force to replace it, or edit it by hand',
    });
  }
  const model = options.model ?? (options.baseUrl ? undefined : DEFAULT_MODELS[options.provider]);
  if (model === undefined) {
    throw new UsageError(
      options.baseUrl
        ? '--model is required with --base-url (the id your local server serves, e.g. --model llama3.2)'
        : `no default model for provider "${options.provider}"; pass --model`,
    );
  }
  const content = agentTomlTemplate({
    provider: options.provider,
    model,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  });
  // Validate what we are about to write, so init never leaves a broken file behind.
  validateAgentValues(parseTomlText(content, path), path);
  const problem = writeProblem(path);
  if (problem) throw new UsageError(`cannot write ${shown}: ${path} is ${problem}`, { hint: WRITE_FIX });
  const replaced = existsSync(path);
  await writeFileAtomic(path, content);
  process.stdout.write(`wrote ${shown}\n`);
  // Trusted first: recording the change opens the workspace's services, which load this file.
  await trustWhatInitWrote(path);
  await recordConfigChange(shown, content, replaced);
  const keyHint = options.baseUrl
    ? `next: oxydra doctor  (checks that ${options.baseUrl} answers)`
    : 'next: export the API key of your provider (e.g. OPENAI_API_KEY), then run `oxydra doctor`';
  process.stdout.write(`${keyHint}\n`);
  if (options.baseUrl) {
    // The commonest local-server mistake, caught before the first 404.
    const { missingVersionHint } = await import('@oxydra/provider');
    const hint = missingVersionHint(options.baseUrl);
    if (hint) process.stdout.write(`note: ${options.baseUrl} has no /v1; ${hint}\n`);
  }
  return EXIT_OK;
}

/**
 * A configuration change made through Oxydra is an audit entry (the file, whether it replaced
 * one, and the new content's SHA-256). The file is written either way: a workspace whose other
 * configuration cannot load yet still gets its agent.toml, with a warning.
 */
async function recordConfigChange(file: string, content: string, replaced: boolean): Promise<void> {
  try {
    const { withWorkspaceServices } = await import('../run/workspace-services.js');
    await withWorkspaceServices(async ({ audit }) => {
      audit.record(
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
