/**
 * `oxydra config get|set|unset`: read one key of the effective configuration, or change one key
 * in a configuration file (the workspace's .oxydra/agent.toml, or with --user the user's
 * ~/.config/oxydra/agent.toml) keeping its comments and layout. The key and value are checked
 * against the schema as `--set` checks them, and the whole configuration is validated with the
 * change before the file is written: a change that would not load is refused (exit 2), and the
 * file stays as it was.
 */
import { join } from 'node:path';
import {
  overridesToLayer,
  parseSetFlag,
  schemaAt,
  unknownKeyError,
  userConfigDirectory,
  workspaceConfigDirectory,
} from '@oxydra/config';
import { editTomlFile } from '@oxydra/config/admin';
import { maskSecrets, UsageError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { stringify } from 'smol-toml';
import { EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';
import { printLines } from '../run/print.js';

interface EditOptions {
  user?: boolean;
}

function targetFile(options: EditOptions): string {
  return join(options.user ? userConfigDirectory() : workspaceConfigDirectory(), 'agent.toml');
}

function keyPath(key: string): string[] {
  const path = key.trim().split('.');
  if (key.trim() === '' || path.some((segment) => segment === ''))
    throw new UsageError(`"${key}" is not a key path`, {
      hint: 'write it as section.key, e.g. runtime.max_turns',
    });
  return path;
}

/** An unknown key is refused (exit 2) with "did you mean" or the keys allowed there. */
function refuseUnknownKey(source: string, path: readonly string[]): void {
  const found = schemaAt(agentConfigSchema, path);
  if ('unknownAt' in found) throw unknownKeyError(source, path, found);
}

function valueAt(values: unknown, path: readonly string[]): unknown {
  let at = values;
  for (const segment of path) {
    if (typeof at !== 'object' || at === null || !(segment in at)) return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

export async function runConfigGet(key: string, options: { json?: boolean }): Promise<number> {
  const path = keyPath(key);
  const loaded = await loadCliConfig({ ask: false });
  const value = valueAt(maskSecrets(loaded.config), path);
  if (value === undefined) {
    // An unknown key gets the same error as --set; a known one is simply unset.
    refuseUnknownKey('config get', path);
    process.stdout.write(options.json ? 'null\n' : '(not set)\n');
    return EXIT_OK;
  }
  if (options.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  // The value may be a cloned repository's text: its controls written out (--json gives it exact).
  else if (typeof value === 'object' && value !== null && !Array.isArray(value))
    printLines(`${stringify(value as Record<string, unknown>)}\n`);
  else printLines(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  return EXIT_OK;
}

/**
 * After the user's own edit of the workspace's file: a workspace they had trusted (or that
 * needed no trust) stays trusted with the change, which they made themselves; one they had not
 * trusted stays held back, and the loader's line says how to trust it.
 */
async function keepTrust(wasApplied: boolean, options: EditOptions): Promise<void> {
  if (options.user || !wasApplied) {
    await loadCliConfig({ ask: false });
    return;
  }
  const { loadAgentConfig, recordDecision } = await import('@oxydra/config');
  const after = await loadAgentConfig({ trust: 'recorded' });
  if (after.trust.state === 'untrusted')
    await recordDecision(after.trust.workspace, after.trust.held, 'trusted');
}

async function trustApplied(): Promise<boolean> {
  const { isTrustApplied, loadAgentConfig } = await import('@oxydra/config');
  return isTrustApplied((await loadAgentConfig({ trust: 'recorded' })).trust.state);
}

export async function runConfigSet(key: string, raw: string, options: EditOptions): Promise<number> {
  keyPath(key);
  const override = parseSetFlag(`${key}=${raw}`);
  // The schema's coercion: "12" is a number where a number goes, TOML syntax for arrays/tables.
  const layer = overridesToLayer(
    [{ ...override, source: `config set ${key}` }],
    agentConfigSchema,
    'config set',
  );
  const value = valueAt(layer.values, override.path);
  // The whole configuration with the change on top must load before anything is written.
  await loadCliConfig({ ask: false, cli: { set: [override] } });
  const wasApplied = await trustApplied();
  const file = targetFile(options);
  await editTomlFile(file, override.path, value);
  process.stdout.write(`set ${key} in ${file}\n`);
  await keepTrust(wasApplied, options);
  return EXIT_OK;
}

export async function runConfigUnset(key: string, options: EditOptions): Promise<number> {
  const path = keyPath(key);
  // A misspelt key is not "not set": say it is unknown, as get and set do.
  refuseUnknownKey('config unset', path);
  const file = targetFile(options);
  const { readFile, writeFile } = await import('node:fs/promises');
  const before = await readFile(file, 'utf8').catch(() => undefined);
  const wasApplied = await trustApplied();
  if (before === undefined || !(await editTomlFile(file, path, undefined))) {
    process.stdout.write(`${key} is not set in ${file}: nothing to remove\n`);
    return EXIT_OK;
  }
  try {
    const { loadAgentConfig } = await import('@oxydra/config');
    await loadAgentConfig({ trust: 'recorded' });
  } catch (error) {
    // Without it the configuration does not load (a required key): put the file back.
    await writeFile(file, before);
    throw error;
  }
  process.stdout.write(`removed ${key} from ${file}\n`);
  await keepTrust(wasApplied, options);
  return EXIT_OK;
}
