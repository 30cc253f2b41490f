/**
 * The one place CLI flags meet the kernel: each run flag becomes either a configuration override
 * (validated like every other value: --max-turns, --max-cost, --sandbox, --provider, --model,
 * --base-url, --set) or a SpawnSpec field (--agent, --session, --tools, --system, --timeout,
 * --yes). Hosts open the kernel with the configuration and spawn with the spec; nothing else
 * in the CLI knows how an agent is put together.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LoadedConfig, Override } from '@oxydra/config';
import type { HostKind, Kernel, SpawnSpec } from '@oxydra/kernel';
import type { OwnedKernel } from '@oxydra/kernel/admin';
import { type AgentConfig, UsageError } from '@oxydra/types';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { loadCliConfig } from './load-config.js';
import { openKernelOnStore, openKernelWithStores } from './store-choice.js';

export interface RunFlags extends ConfigFlagValues {
  agent?: string;
  maxTurns?: string;
  maxCost?: string;
  timeout?: string;
  tools?: string;
  system?: string;
  yes?: boolean;
  json?: boolean;
  /** Continue this session (created when new); without it every run starts a new one. */
  session?: string;
  /** auto | bubblewrap | none: overrides [tools.sandbox] mode. */
  sandbox?: string;
}

export interface CliKernelOptions {
  workspace: string;
  env?: NodeJS.ProcessEnv;
  /** Config values a command imposes over flags (the demo points the selection at its mock). */
  overrides?: Override[];
  host?: HostKind;
  /** More secret values to scrub (the gateway token). */
  secrets?: readonly string[];
}

/** Budget and sandbox flags become config overrides, so they are validated like every other value. */
function flagOverrides(flags: RunFlags): Override[] {
  const overrides: Override[] = [];
  if (flags.maxTurns !== undefined) {
    overrides.push({ path: ['runtime', 'max_turns'], raw: flags.maxTurns, source: '--max-turns' });
  }
  if (flags.maxCost !== undefined) {
    overrides.push({ path: ['runtime', 'max_cost'], raw: flags.maxCost, source: '--max-cost' });
  }
  if (flags.sandbox !== undefined) {
    overrides.push({ path: ['tools', 'sandbox', 'mode'], raw: flags.sandbox, source: '--sandbox' });
  }
  return overrides;
}

/** The configuration a run with these flags uses (files, environment, flags, overrides). */
export async function loadRunConfig(flags: RunFlags, options: CliKernelOptions): Promise<AgentConfig> {
  return (await loadRunConfigAndTrust(flags, options)).config;
}

/** The same load, with its workspace trust report (what was held back: the gateway shows it). */
export async function loadRunConfigAndTrust(
  flags: RunFlags,
  options: CliKernelOptions,
): Promise<Pick<LoadedConfig, 'config' | 'trust'>> {
  const cli = await toCliOverrides(flags);
  cli.set = [...(cli.set ?? []), ...flagOverrides(flags), ...(options.overrides ?? [])];
  return loadCliConfig({ cwd: options.workspace, env: options.env ?? process.env, cli });
}

/** Loads the configuration and opens the kernel on it (and on the store it names). */
export async function openCliKernel(flags: RunFlags, options: CliKernelOptions): Promise<Kernel> {
  return openKernelOnStore(await cliKernelOptions(flags, options));
}

/**
 * openCliKernel with the owner's grant over the whole session store, for a command that serves
 * every user's sessions itself (`oxydra channels run`): only the opener of a kernel gets one.
 */
export async function openOwnedCliKernel(flags: RunFlags, options: CliKernelOptions): Promise<OwnedKernel> {
  return openKernelWithStores(await cliKernelOptions(flags, options), { ownerGrant: true });
}

async function cliKernelOptions(flags: RunFlags, options: CliKernelOptions) {
  const { config } = await loadRunConfigAndTrust(flags, options);
  return {
    workspace: options.workspace,
    // The loaded config keeps its keys' sources: the system prompt marks what the workspace's
    // own .oxydra/ wrote (the kernel reads them, loadedConfigSources).
    config,
    host: options.host ?? 'cli',
    ...(options.env ? { env: options.env } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  };
}

/** Everything of a spawn the flags decide; the caller adds the prompt (and history, approvals). */
export async function spawnSpecFromFlags(
  flags: RunFlags,
  config: AgentConfig,
): Promise<Omit<SpawnSpec, 'prompt'>> {
  const systemPrompt = await systemPromptFlag(flags.system);
  const maxWallMs = parseTimeout(flags.timeout);
  // Budget flags beat the agent's own limits, which beat [runtime].
  const limits = {
    ...(flags.maxTurns !== undefined ? { maxTurns: config.runtime.max_turns } : {}),
    ...(flags.maxCost !== undefined && config.runtime.max_cost !== undefined
      ? { maxCostUsd: config.runtime.max_cost, maxCostSource: '--max-cost' }
      : {}),
    ...(maxWallMs !== undefined ? { maxWallMs } : {}),
  };
  const selection = {
    ...(flags.provider !== undefined ? { provider: flags.provider } : {}),
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(flags.baseUrl !== undefined ? { baseURL: flags.baseUrl } : {}),
  };
  return {
    ...(flags.agent !== undefined ? { agent: flags.agent } : {}),
    ...(flags.session !== undefined ? { sessionId: flags.session } : {}),
    ...(flags.tools !== undefined ? { tools: toolList(flags.tools) } : {}),
    ...(systemPrompt !== undefined ? { systemPrompt } : {}),
    ...(flags.yes ? { approval: 'auto' as const } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(Object.keys(selection).length > 0 ? { selection } : {}),
  };
}

function toolList(raw: string): string[] {
  return raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout ${raw}: expected a number of seconds greater than 0`);
  }
  return seconds * 1000;
}

/** `--system @FILE`: FILE as typed, so relative to where the user is (maybe below the workspace). */
async function systemPromptFlag(raw: string | undefined): Promise<string | undefined> {
  if (raw === undefined || !raw.startsWith('@')) return raw;
  const path = resolve(raw.slice(1));
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`--system ${raw}: cannot read ${path}`, {
      hint: 'use --system "text" or --system @path/to/file',
    });
  }
}

/** The flags that make `oxydra run` spec-first (commands/run-spec.ts), kept apart so a plain run loads none of it. */
export interface SpecFlags {
  spec?: boolean;
  criterion?: string[];
  constraint?: string[];
  /** Mark every criterion independent: its work may run in a sub-agent of its own. */
  split?: boolean;
  maxAttempts?: string;
  exitCode?: boolean;
}

export function isSpecRun(flags: SpecFlags): boolean {
  return (
    flags.spec === true ||
    flags.split === true ||
    (flags.criterion?.length ?? 0) > 0 ||
    (flags.constraint?.length ?? 0) > 0
  );
}
