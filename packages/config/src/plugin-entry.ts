/**
 * Where a `[plugins.load.<name>] from` leads: a path (relative to the workspace, `~` expanded) or
 * an npm package resolved from the workspace as `node` would from a file there. One home for the
 * kernel, which imports that file, and for workspace trust, which holds back a plugin of the
 * user's own configuration that would be loaded from the workspace's files (its node_modules).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '@oxydra/types';
import { isInside, readSmallFile } from '@oxydra/types/fs';
import { type ConfigLayer, isPlainObject, type PlainObject } from './layers.js';
import type { HeldKey } from './trust-rules.js';

const isPath = (from: string) => from.startsWith('.') || isAbsolute(from) || from.startsWith('~');

/** The module file a `from` names. */
export function pluginEntryFile(from: string, workspace: string, key: string): string {
  const where = { keyPath: `plugins.load.${key}.from` };
  if (isPath(from)) {
    const home = process.env.HOME ?? '';
    const path = from.startsWith('~') ? join(home, from.slice(1)) : resolve(workspace, from);
    if (!existsSync(path)) {
      throw new ConfigError(`plugin ${key}: ${path} does not exist`, where, {
        hint: 'from is a path relative to the workspace, or an installed npm package name',
      });
    }
    return statSync(path).isDirectory() ? packageEntry(path, key) : path;
  }
  // An npm package: resolved from the workspace, as `node` would from a file there.
  const require = createRequire(join(workspace, 'package.json'));
  checkManifestsOnTheWay(from, workspace, require.resolve.paths(from) ?? [], key);
  try {
    return require.resolve(from);
  } catch {
    // ESM-only packages have no "require" entry; find the package folder and read its own.
    for (const base of require.resolve.paths(from) ?? []) {
      const folder = join(base, from);
      if (existsSync(join(folder, 'package.json'))) return packageEntry(folder, key);
    }
  }
  throw new ConfigError(
    `plugin ${key}: the package "${from}" is not installed where ${workspace} can find it`,
    where,
    {
      hint: `npm install ${from} in the workspace, or give a path (./plugins/...)`,
    },
  );
}

/** The most of a plugin's package.json read (they are a few KB). */
const MANIFEST_MAX_BYTES = 1 << 20;

/**
 * A package.json of a plugin, or undefined when there is none. Read under readSmallFile's rules
 * (a link is followed, as node follows it): a FIFO planted in the workspace's node_modules made
 * the read (and node's own resolver) wait forever, a device or a huge file read without end.
 */
function readManifest(manifest: string, key: string): Buffer | undefined {
  const file = readSmallFile(manifest, { maxBytes: MANIFEST_MAX_BYTES, followLinks: true });
  if (file.ok) return file.bytes;
  if (file.problem === 'missing') return undefined;
  throw new ConfigError(
    `plugin ${key}: ${manifest} ${file.detail}`,
    { keyPath: `plugins.load.${key}.from` },
    {
      hint: 'remove it, or reinstall the package so its package.json is a regular file',
    },
  );
}

/**
 * Node's resolver reads package.json files with a blocking read that nothing bounds: the
 * package scope of the workspace (its folder and those above, up to the first package.json) and
 * the package's folder in each node_modules on the way. Each is checked first, so a FIFO, a
 * device or a huge file there is a one-line error naming it rather than a hang.
 */
function checkManifestsOnTheWay(
  from: string,
  workspace: string,
  bases: readonly string[],
  key: string,
): void {
  for (let dir = resolve(workspace); ; dir = dirname(dir)) {
    if (readManifest(join(dir, 'package.json'), key) !== undefined || dirname(dir) === dir) break;
  }
  const parts = from.split('/');
  const name = from.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? from);
  for (const base of bases) readManifest(join(base, name, 'package.json'), key);
}

/** A plugin folder's entry module: its package.json "exports"/"module"/"main", else index.js. */
function packageEntry(folder: string, key: string): string {
  const manifest = join(folder, 'package.json');
  let entry = 'index.js';
  const text = readManifest(manifest, key);
  if (text !== undefined) {
    let pkg: { exports?: unknown; module?: string; main?: string };
    try {
      pkg = JSON.parse(text.toString('utf8')) as typeof pkg;
    } catch {
      throw new ConfigError(`plugin ${key}: ${manifest} is not valid JSON`, {
        keyPath: `plugins.load.${key}.from`,
      });
    }
    entry = exportEntry(pkg.exports) ?? pkg.module ?? pkg.main ?? entry;
  }
  const file = resolve(folder, entry);
  if (!existsSync(file)) {
    throw new ConfigError(`plugin ${key}: ${folder} has no entry module (${entry})`, {
      keyPath: `plugins.load.${key}.from`,
    });
  }
  return file;
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const root = (exports as Record<string, unknown>)['.'] ?? exports;
  if (typeof root === 'string') return root;
  if (typeof root !== 'object' || root === null) return undefined;
  const conditions = root as Record<string, unknown>;
  for (const condition of ['import', 'default', 'node']) {
    const value = conditions[condition];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/*
 * A plugin of the user's own configuration whose code the workspace supplies. `[plugins.load]
 * helper = { from = "oxydra-plugin-helper" }` in ~/.config/oxydra is resolved from the
 * workspace as node resolves (its node_modules first), and a relative `from` is the workspace's
 * path: a cloned repository shipping node_modules/oxydra-plugin-helper had its code run in the
 * oxydra process on the first command, without a .oxydra/ of its own. Such a plugin needs the
 * workspace's trust like the workspace's own `[plugins.load]`: held back (disabled for the
 * command) and named with the other held keys until the user trusts the workspace.
 */
const WHY = "runs code from this workspace's files (a plugin of yours resolved here) in the Oxydra process";

/** The user's enabled plugins that would load a file of the workspace, and the layer that disables them. */
export function workspacePluginsHeld(
  workspace: string,
  plugins: unknown,
): { held: HeldKey[]; disable?: ConfigLayer } {
  if (!isPlainObject(plugins) || !isPlainObject(plugins.load)) return { held: [] };
  const held: HeldKey[] = [];
  const disabled: PlainObject = {};
  let realWorkspace: string;
  try {
    realWorkspace = realpathSync(workspace);
  } catch {
    return { held: [] };
  }
  for (const [name, entry] of Object.entries(plugins.load)) {
    if (!isPlainObject(entry) || entry.enabled === false || typeof entry.from !== 'string') continue;
    let file: string;
    try {
      file = realpathSync(pluginEntryFile(entry.from, workspace, name));
    } catch {
      continue; // not found: the kernel says so when it loads plugins
    }
    if (!isInside(realWorkspace, file)) continue;
    held.push({
      key: `plugins.load.${name}.from`,
      source: file,
      why: WHY,
      value: entry.from,
      yours: { kind: 'plugin', name },
    });
    disabled[name] = { enabled: false };
  }
  if (held.length === 0) return { held };
  return { held, disable: { source: held[0]!.source, values: { plugins: { load: disabled } } } };
}
