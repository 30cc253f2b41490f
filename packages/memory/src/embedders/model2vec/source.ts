/**
 * Where a model2vec model's files come from: a local folder, a folder URL, or a Hugging Face
 * repo id (downloaded from `<base>/<id>/resolve/main/<file>`, the hub's raw-file route).
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The files model2vec's save_pretrained writes and from_pretrained reads. Smallest first. */
export const MODEL_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;

/**
 * The most of each file read or downloaded, far above any real model2vec model's
 * (potion-multilingual-128M: 512 MB of weights): a folder a cloned repository names can hold a
 * link to /dev/zero, and a URL it names can stream without end.
 */
export const MODEL_FILE_MAX_BYTES: Record<(typeof MODEL_FILES)[number], number> = {
  'config.json': 1024 * 1024,
  'tokenizer.json': 256 * 1024 * 1024,
  'model.safetensors': 1536 * 1024 * 1024,
};

const DEFAULT_HF_BASE_URL = 'https://huggingface.co';

export type ModelSource =
  | { kind: 'local'; id: string; dir: string }
  | { kind: 'remote'; id: string; dir: string; baseUrl: string };

/** A repo id as the hub allows them: exactly one slash, no path tricks. */
const HF_REPO_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

export function resolveModelSource(
  model: string,
  options: { cacheDir?: string; env?: NodeJS.ProcessEnv } = {},
): ModelSource {
  const env = options.env ?? process.env;
  const spec = model.trim();
  if (spec === '')
    throw new Error('model2vec model is empty: give a Hugging Face repo id, a folder URL or a folder');

  if (/^https?:\/\//i.test(spec)) {
    const baseUrl = spec.replace(/\/+$/, '');
    return { kind: 'remote', id: baseUrl, baseUrl, dir: cacheDirFor(baseUrl, options.cacheDir, env) };
  }
  const looksLikePath =
    isAbsolute(spec) || spec === '.' || spec === '..' || spec === '~' || /^(\.{1,2}|~)[/\\]/.test(spec);
  // Like model2vec's from_pretrained, an existing folder wins over a repo id of the same shape.
  if (!looksLikePath && HF_REPO_ID.test(spec) && !isDirectory(spec)) {
    const base = (env.OXYDRA_HF_BASE_URL?.trim() || DEFAULT_HF_BASE_URL).replace(/\/+$/, '');
    return {
      kind: 'remote',
      id: spec,
      baseUrl: `${base}/${spec}/resolve/main`,
      dir: cacheDirFor(spec, options.cacheDir, env),
    };
  }
  const dir = resolve(spec === '~' || /^~[/\\]/.test(spec) ? join(homedir(), spec.slice(1)) : spec);
  return { kind: 'local', id: dir, dir };
}

/**
 * `cacheDir` is the model's own folder when given. The default is
 * ~/.cache/oxydra/models/<sanitised id>/ ($XDG_CACHE_HOME instead of ~/.cache when set).
 */
function cacheDirFor(id: string, cacheDir: string | undefined, env: NodeJS.ProcessEnv): string {
  if (cacheDir !== undefined) return resolve(cacheDir);
  const xdg = env.XDG_CACHE_HOME;
  const root = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(root, 'oxydra', 'models', sanitiseId(id));
}

/**
 * One safe folder name per id: "minishlab/potion-base-8M" → "minishlab--potion-base-8M";
 * a URL gets a "url--" prefix so it never collides with a repo id.
 */
function sanitiseId(id: string): string {
  const isUrl = /^https?:\/\//i.test(id);
  const body = id
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '')
    .replace(/\//g, '--')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  const name = isUrl ? `url--${body}` : body;
  return /^\.*$/.test(name) ? `_${name}` : name;
}

function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}
