/**
 * Where a llama_cpp entry's two pieces are: the optional node-llama-cpp package (never a
 * dependency of the published package, so the default install and start-up do not grow) and
 * the GGUF model file. Both are checked when the provider is built, before any run starts, so a
 * missing one is a one-line configuration error (exit 2) rather than a failed model call.
 * Synchronous and cheap: nothing of node-llama-cpp is loaded here.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, OXYDRA_FOLDER_NAME, OXYDRA_HOME_FOLDERS } from '@oxydra/types';

const LLAMA_CPP_PACKAGE = 'node-llama-cpp';

/** The fix named by the "not installed" error (and `oxydra doctor`). */
const LLAMA_CPP_INSTALL_HINT =
  'install it beside oxydra with `npm install -g node-llama-cpp` (or `npm install node-llama-cpp` in the workspace)';

/**
 * node-llama-cpp's entry file: looked up from this module (the monorepo, the published package's
 * own folder and, for a global oxydra, the global folder beside it), then from the workspace.
 */
function locateLlamaCpp(
  bases: readonly string[] = [import.meta.url, join(process.cwd(), 'package.json')],
): string | undefined {
  for (const base of bases) {
    try {
      return createRequire(base).resolve(LLAMA_CPP_PACKAGE);
    } catch {
      // not there: try the next place
    }
  }
  return undefined;
}

/** Pulled models' folder: $OXYDRA_MODELS_DIR, else <cache>/oxydra/models ($XDG_CACHE_HOME or ~/.cache). */
export function localModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.OXYDRA_MODELS_DIR;
  if (own && isAbsolute(own)) return own;
  const xdg = env.XDG_CACHE_HOME;
  const cache =
    xdg && isAbsolute(xdg) ? join(xdg, OXYDRA_FOLDER_NAME) : join(homedir(), ...OXYDRA_HOME_FOLDERS.cache);
  return join(cache, 'models');
}

/**
 * The model file a `model` value names: a path (absolute, or relative to the workspace; `~/`
 * is the home folder), or a bare file name looked up in the models folder (".gguf" may be left
 * off). Throws a ConfigError naming the fix when there is no GGUF file there.
 */
export function resolveLocalModel(
  model: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; keyPath?: string } = {},
): string {
  const cwd = options.cwd ?? process.cwd();
  const location = options.keyPath !== undefined ? { keyPath: options.keyPath } : {};
  const isPath = isAbsolute(model) || /^(\.{1,2}|~)[/\\]/.test(model) || /[/\\]/.test(model);
  let candidates: string[];
  if (isPath) {
    candidates = [model.startsWith('~') ? join(homedir(), model.slice(2)) : resolve(cwd, model)];
  } else {
    const dir = localModelsDir(options.env);
    const names = model.endsWith('.gguf') ? [model] : [`${model}.gguf`, model];
    candidates = [...names.map((name) => join(dir, name)), resolve(cwd, model)];
  }
  const found = candidates.find(isFile);
  if (found === undefined) {
    throw new ConfigError(
      `local model "${model}" not found (looked for ${candidates.join(', ')}): give the path of a .gguf file, or fetch one with \`oxydra models pull <url>\``,
      location,
    );
  }
  if (!hasGgufMagic(found)) {
    throw new ConfigError(
      `local model "${model}" (${found}) is not a GGUF file: llama_cpp runs .gguf models only`,
      location,
    );
  }
  return found;
}

/** Throws the "install node-llama-cpp" ConfigError when the package cannot be found. */
export function requireLlamaCpp(bases?: readonly string[]): string {
  const entry = locateLlamaCpp(bases);
  if (entry === undefined) {
    throw new ConfigError(
      `provider type llama_cpp needs the optional package node-llama-cpp, which is not installed: ${LLAMA_CPP_INSTALL_HINT}`,
    );
  }
  return entry;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function hasGgufMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === 'GGUF';
  } finally {
    closeSync(fd);
  }
}
