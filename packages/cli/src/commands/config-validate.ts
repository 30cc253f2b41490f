import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadAgentConfigFile, workspaceConfigDirectory } from '@oxydra/config';
import { loadRunnerConfig, loadUserConfig } from '@oxydra/config/admin';
import { ConfigError, ConfigErrors } from '@oxydra/types';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';

type FileKind = 'runner' | 'user' | 'agent';

function kindOfFile(path: string): FileKind {
  if (basename(path) === 'runner.toml') return 'runner';
  if (basename(dirname(path)) === 'users') return 'user';
  return 'agent';
}

async function validateFile(path: string): Promise<string> {
  const kind = kindOfFile(path);
  if (kind === 'runner') {
    const loaded = await loadRunnerConfig(path);
    return `${path}: valid runner config (${Object.keys(loaded.users).length} user file(s) checked)`;
  }
  if (kind === 'user') {
    await loadUserConfig(path);
    return `${path}: valid user config`;
  }
  await loadAgentConfigFile(path);
  return `${path}: valid agent config`;
}

/** Run every check, collecting problems so the user sees them all at once. */
export async function runConfigValidate(options: ConfigFlagValues & { file?: string }): Promise<number> {
  if (options.file !== undefined) {
    process.stdout.write(`ok: ${await validateFile(resolve(options.file))}\n`);
    return EXIT_OK;
  }
  const errors: ConfigError[] = [];
  const messages: string[] = [];
  const collect = async (check: () => Promise<string>) => {
    try {
      messages.push(await check());
    } catch (error) {
      if (error instanceof ConfigErrors) errors.push(...error.errors);
      else if (error instanceof ConfigError) errors.push(error);
      else throw error;
    }
  };
  await collect(async () => {
    const loaded = await loadCliConfig({ ask: false, cli: await toCliOverrides(options) });
    const found = loaded.files.filter((file) => file.found).length;
    return `agent configuration is valid (${found} file(s), ${loaded.envVariables.length} environment override(s))`;
  });
  const runnerPath = join(workspaceConfigDirectory(), 'runner.toml');
  if (existsSync(runnerPath)) await collect(() => validateFile(runnerPath));
  if (errors.length > 0) throw new ConfigErrors(errors);
  process.stdout.write(messages.map((message) => `ok: ${message}\n`).join(''));
  return EXIT_OK;
}
