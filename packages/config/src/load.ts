/**
 * Loading the effective agent configuration:
 * built-in defaults < /etc/oxydra < ~/.config/oxydra < ./.oxydra < OXYDRA__* env < CLI flags.
 * Within a directory, agent.toml comes before providers.toml.
 */
import { dirname, join } from 'node:path';
import {
  type AgentConfig,
  CORE_SECTION_SCHEMAS,
  ConfigError,
  coreSectionsSchema,
  DEFAULT_PROVIDER_REGISTRY,
  parseCoreSections,
} from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { type ConfigLayer, mergeLayers, type PlainObject, setPath } from './layers.js';
import { AGENT_CONFIG_FILES, type ConfigScope, configDirectories, type LocateOptions } from './locations.js';
import { envOverrides, type Override, overridesToLayer } from './overrides.js';
import { tomlExcerpt } from './toml-excerpt.js';
import { tomlHint } from './toml-hints.js';
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

/** The full schema (with `[scheduler]` and `[channels]`), loaded at its first use. */
async function fullSchema() {
  return (await import('@oxydra/types/config-full')).agentConfigSchema;
}

/**
 * The schema string overrides are read against: the sections they name while each is a core
 * one (only those are built), else the full schema (a full-only section, or an unknown key whose
 * message lists them all).
 */
async function overridesSchema(overrides: readonly Override[]): Promise<z.ZodType> {
  const sections = new Set<string>();
  for (const { path } of overrides) {
    if (path.length === 0 || !Object.hasOwn(CORE_SECTION_SCHEMAS, path[0]!)) return await fullSchema();
    sections.add(path[0]!);
  }
  return coreSectionsSchema([...sections]);
}

/**
 * Validate merged values: section by section with the absent sections' defaults when they name
 * only core sections and pass (parseCoreSections), else with the full schema, whose errors are
 * the ones reported (a rejected configuration is always parsed again with it).
 */
async function validateAgentConfig(
  values: PlainObject,
  provenance: ReadonlyMap<string, string>,
): Promise<AgentConfig> {
  return parseCoreSections(values) ?? validateWith(await fullSchema(), values, provenance, DEFAULTS_SOURCE);
}

async function cliLayer(cli: CliConfigOverrides): Promise<ConfigLayer> {
  const set = cli.set ?? [];
  const layer = overridesToLayer(set, await overridesSchema(set), 'command-line flags');
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

/**
 * Each configuration loadAgentConfig made, with where each of its keys came from: a program that
 * passes only `config` to openKernel (docs/kernel.md's example) still gets the workspace's own
 * words marked as such in the system prompt (the kernel's promptSources), as the CLI does by
 * passing `provenance` itself. Keyed by the object: a copy or a hand-made config has none.
 */
const LOADED_SOURCES = new WeakMap<AgentConfig, ReadonlyMap<string, string>>();

/** Where each key of a configuration loadAgentConfig returned came from, if it did. */
export function loadedConfigSources(config: AgentConfig): ReadonlyMap<string, string> | undefined {
  return LOADED_SOURCES.get(config);
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
      const values = directory.scope === 'workspace' ? readWorkspaceTomlFile(path) : await readTomlFile(path);
      files.push({ scope: directory.scope, path, found: values !== undefined });
      if (values) (directory.scope === 'workspace' ? workspaceLayers : layers).push({ source: path, values });
    }
  }
  const workspace = dirname(directories.find((d) => d.scope === 'workspace')!.path);
  const trust = decideWorkspaceTrust(workspace, workspaceLayers, layers, options.trust ?? 'recorded', env);
  layers.push(...trust.layers);
  const envList = envOverrides(env);
  if (envList.length > 0)
    layers.push(overridesToLayer(envList, await overridesSchema(envList), 'environment'));
  if (options.cli) layers.push(await cliLayer(options.cli));

  const { values, provenance } = mergeLayers(layers);
  if (options.cli?.baseUrl !== undefined) {
    const selected = (values.selection as { provider?: string } | undefined)?.provider ?? 'openai';
    setPath(values, ['providers', 'registry', selected, 'base_url'], options.cli.baseUrl);
    (provenance as Map<string, string>).set(`providers.registry.${selected}.base_url`, '--base-url');
  }
  refuseHeldProviders(values, trust.report);
  const config = await validateAgentConfig(values, provenance);
  LOADED_SOURCES.set(config, provenance);
  return {
    config,
    files,
    envVariables: envList.map((o) => o.source.replace('environment variable ', '')),
    provenance,
    trust: trust.report,
  };
}

/** Validate the values of one agent.toml / providers.toml on their own, over the built-in defaults. */
export async function validateAgentValues(values: PlainObject, source: string): Promise<AgentConfig> {
  const { values: merged, provenance } = mergeLayers([defaultsLayer(), { source, values }]);
  return validateAgentConfig(merged, provenance);
}

export async function loadAgentConfigFile(path: string): Promise<AgentConfig> {
  const values = await readTomlFile(path);
  if (values === undefined) throw new ConfigError(`${path}: file not found`, { source: path });
  return validateAgentValues(values, path);
}

/** A config file's cap: far above any real one, and the bound on what is read. */
const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * Reading one TOML config file of the user's, the system's or one named with --file: a link is
 * followed (the user's own), but a FIFO, device or directory is refused, not read (a FIFO hung
 * the read for good; /dev/zero never ended), and so is a file over 1 MiB. Syntax errors name
 * the file, line and column.
 */
export async function readTomlFile(path: string): Promise<PlainObject | undefined> {
  const file = readSmallFile(path, { maxBytes: CONFIG_MAX_BYTES, followLinks: true });
  if (file.ok) return parseTomlText(file.bytes.toString('utf8'), path);
  if (file.problem === 'missing') return undefined;
  throw new ConfigError(`${path}: ${file.detail}; not read`, { source: path });
}

/**
 * A workspace's config file, planted by whoever writes the workspace (a cloned repository, a
 * root guest's sandboxed commands): a link is refused rather than followed to a file of the
 * host's, and a FIFO, device or file over 1 MiB is not read (a FIFO hung the read for good).
 */
export function readWorkspaceTomlFile(path: string): PlainObject | undefined {
  const file = readSmallFile(path, { maxBytes: CONFIG_MAX_BYTES });
  if (file.ok) return parseTomlText(file.bytes.toString('utf8'), path);
  if (file.problem === 'missing') return undefined;
  throw new ConfigError(
    `${path}: ${file.detail}; not read`,
    { source: path },
    { hint: `make ${path} a plain file of the workspace (a copy, not a link), at most 1 MiB` },
  );
}

export function parseTomlText(text: string, path: string): PlainObject {
  try {
    return parse(text) as PlainObject;
  } catch (error) {
    if (error instanceof TomlError) {
      // smol-toml appends a code excerpt after a blank line; keep the first line only.
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
      const excerpt = tomlExcerpt(text.split(/\r?\n/), error.line, error.column);
      // No `cause`: the parser's error carries its own excerpt of the file, secrets unmasked,
      // and whatever logs a cause would print it. Everything it says is in this error.
      throw new ConfigError(
        `${path}:${error.line}:${error.column}: invalid TOML: ${reason}`,
        { source: path, line: error.line, column: error.column, ...(excerpt ? { excerpt } : {}) },
        { hint: tomlHint(text, reason, error.line, error.column) },
      );
    }
    throw error;
  }
}
