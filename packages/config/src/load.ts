/**
 * Loading the effective agent configuration:
 * built-in defaults < /etc/oxydra < ~/.config/oxydra < ./.oxydra < OXYDRA__* env < CLI flags.
 * Within a directory, agent.toml comes before providers.toml.
 */
import { dirname, join } from 'node:path';
import { type AgentConfig, agentConfigSchema, ConfigError, DEFAULT_PROVIDER_REGISTRY } from '@oxydra/types';
import { type ConfigLayer, mergeLayers, type PlainObject, setPath } from './layers.js';
import { AGENT_CONFIG_FILES, type ConfigScope, configDirectories, type LocateOptions } from './locations.js';
import { envOverrides, type Override, overridesToLayer } from './overrides.js';
import { readTomlFile } from './toml-file.js';
import { validateWith } from './validate.js';
import { decideWorkspaceTrust, refuseHeldProviders, type WorkspaceTrust } from './workspace-trust.js';

export const DEFAULTS_SOURCE = 'built-in defaults';

export interface CliConfigOverrides {
  provider?: string;
  model?: string;
  /** Replaces the base_url of the selected provider (after selection is resolved). */
  baseUrl?: string;
  /** Generic `--set key.path=value` assignments. */
  set?: Override[];
}

export interface LoadOptions extends LocateOptions {
  cli?: CliConfigOverrides;
  /**
   * Whether the workspace's own `.oxydra/` keys that need trust apply: "recorded" (default) as
   * the user decided (`oxydra trust`), "this-run" for one command (`--trust`).
   */
  trust?: 'recorded' | 'this-run';
}

export interface ConfigFileStatus {
  scope: ConfigScope;
  path: string;
  found: boolean;
}

export interface LoadedConfig {
  config: AgentConfig;
  /** Every candidate file in precedence order (lowest first), found or not. */
  files: ConfigFileStatus[];
  /** Names of the environment variables that took part. */
  envVariables: string[];
  /** Dotted key path -> source of the value in force (files, env variables, flags). */
  provenance: ReadonlyMap<string, string>;
  /** Whether the workspace's own keys that need trust applied, and which were held back. */
  trust: WorkspaceTrust;
}

export function defaultsLayer(): ConfigLayer {
  return {
    source: DEFAULTS_SOURCE,
    values: { providers: { registry: structuredClone(DEFAULT_PROVIDER_REGISTRY) } },
  };
}

function cliLayer(cli: CliConfigOverrides): ConfigLayer {
  const layer = overridesToLayer(cli.set ?? [], agentConfigSchema, 'command-line flags');
  const flags: [string[], string | undefined, string][] = [
    [['selection', 'provider'], cli.provider, '--provider'],
    [['selection', 'model'], cli.model, '--model'],
  ];
  for (const [path, value, flag] of flags) {
    if (value === undefined) continue;
    setPath(layer.values, path, value);
    layer.keySources?.set(path.join('.'), flag);
  }
  return layer;
}

export async function loadAgentConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const layers: ConfigLayer[] = [defaultsLayer()];
  const workspaceLayers: ConfigLayer[] = [];
  const files: ConfigFileStatus[] = [];
  const directories = configDirectories(options);
  for (const directory of directories) {
    for (const name of AGENT_CONFIG_FILES) {
      const path = join(directory.path, name);
      const values = await readTomlFile(path);
      files.push({ scope: directory.scope, path, found: values !== undefined });
      if (values) (directory.scope === 'workspace' ? workspaceLayers : layers).push({ source: path, values });
    }
  }
  const workspace = dirname(directories.find((d) => d.scope === 'workspace')!.path);
  const trust = decideWorkspaceTrust(workspace, workspaceLayers, layers, options.trust ?? 'recorded', env);
  layers.push(...trust.layers);
  const envList = envOverrides(env);
  if (envList.length > 0) layers.push(overridesToLayer(envList, agentConfigSchema, 'environment'));
  if (options.cli) layers.push(cliLayer(options.cli));

  const { values, provenance } = mergeLayers(layers);
  if (options.cli?.baseUrl !== undefined) {
    const selected = (values.selection as { provider?: string } | undefined)?.provider ?? 'openai';
    setPath(values, ['providers', 'registry', selected, 'base_url'], options.cli.baseUrl);
    (provenance as Map<string, string>).set(`providers.registry.${selected}.base_url`, '--base-url');
  }
  refuseHeldProviders(values, trust.report);
  const config = validateWith(agentConfigSchema, values, provenance, DEFAULTS_SOURCE);
  return {
    config,
    files,
    envVariables: envList.map((o) => o.source.replace('environment variable ', '')),
    provenance,
    trust: trust.report,
  };
}

/** Validate the values of one agent.toml / providers.toml on their own, over the built-in defaults. */
export function validateAgentValues(values: PlainObject, source: string): AgentConfig {
  const { values: merged, provenance } = mergeLayers([defaultsLayer(), { source, values }]);
  return validateWith(agentConfigSchema, merged, provenance, DEFAULTS_SOURCE);
}

export async function loadAgentConfigFile(path: string): Promise<AgentConfig> {
  const values = await readTomlFile(path);
  if (values === undefined) throw new ConfigError(`${path}: file not found`, { source: path });
  return validateAgentValues(values, path);
}
