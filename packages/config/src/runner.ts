/**
 * `runner.toml` and the `users/<id>.toml` files it names. A user file may only restrict what
 * the runner allows; widening (a weaker isolation tier, higher resource limits, enabling a
 * capability the operator switched off) is a validation error.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  ConfigError,
  ConfigErrors,
  type RunnerConfig,
  runnerConfigSchema,
  tierStrength,
  type UserConfig,
  userConfigSchema,
} from '@oxydra/types';
import { readTomlFile } from './load.js';
import { singleSourceProvenance, validateWith } from './validate.js';

export async function loadTomlWithSchema<T>(
  path: string,
  parse: (values: Record<string, unknown>, provenance: Map<string, string>) => T,
): Promise<T> {
  const values = await readTomlFile(path);
  if (values === undefined) {
    throw new ConfigError(
      `${path}: file not found`,
      { source: path },
      {
        hint: "check the path, or write the file: the README's runner quick start has a minimal runner.toml and user file",
      },
    );
  }
  return parse(values, singleSourceProvenance(values, path));
}

export function loadUserConfig(path: string): Promise<UserConfig> {
  return loadTomlWithSchema(path, (values, provenance) =>
    validateWith(userConfigSchema(), values, provenance, path),
  );
}

export interface LoadedRunnerConfig {
  path: string;
  runner: RunnerConfig;
  users: Record<string, { path: string; config: UserConfig }>;
}

export function resolveUserConfigPath(runnerPath: string, configPath: string): string {
  return isAbsolute(configPath) ? configPath : resolve(dirname(runnerPath), configPath);
}

/** Problems where `user` asks for more than `runner` allows. */
export function checkUserRestricts(runner: RunnerConfig, user: UserConfig, userPath: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const widen = (keyPath: string, message: string) =>
    errors.push(
      new ConfigError(`${userPath}: ${keyPath} ${message} (user files may only restrict)`, {
        source: userPath,
        keyPath,
      }),
    );

  const tier = user.behavior.sandbox_tier;
  // "auto" is decided on the machine at start: any tier a user asks for is at least as explicit.
  if (
    tier !== undefined &&
    runner.default_tier !== 'auto' &&
    tierStrength(tier) < tierStrength(runner.default_tier)
  ) {
    widen(
      'behavior.sandbox_tier',
      `= "${tier}" is weaker than the runner's default_tier "${runner.default_tier}"`,
    );
  }
  for (const key of ['max_vcpus', 'max_memory_mib', 'max_processes'] as const) {
    const asked = user.resources?.[key];
    const ceiling = runner.limits[key];
    if (asked !== undefined && ceiling !== undefined && asked > ceiling) {
      widen(`resources.${key}`, `= ${asked} exceeds the runner's limits.${key} = ${ceiling}`);
    }
  }
  for (const key of ['shell_enabled', 'browser_enabled'] as const) {
    if (user.behavior[key] === true && runner.limits[key] === false) {
      widen(`behavior.${key}`, `= true but the runner sets limits.${key} = false`);
    }
  }
  return errors;
}

export async function loadRunnerConfig(path: string): Promise<LoadedRunnerConfig> {
  const runner = await loadTomlWithSchema(path, (values, provenance) =>
    validateWith(runnerConfigSchema(), values, provenance, path),
  );
  const users: LoadedRunnerConfig['users'] = {};
  const errors: ConfigError[] = [];
  for (const [id, { config_path }] of Object.entries(runner.users)) {
    const userPath = resolveUserConfigPath(path, config_path);
    try {
      const config = await loadUserConfig(userPath);
      errors.push(...checkUserRestricts(runner, config, userPath));
      users[id] = { path: userPath, config };
    } catch (error) {
      if (error instanceof ConfigErrors) errors.push(...error.errors);
      else if (error instanceof ConfigError) errors.push(error);
      else throw error;
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return { path, runner, users };
}
