/**
 * Editing a configuration file the way a person would: one key set or removed, every comment,
 * blank line and the order of everything else kept (`oxydra config set|unset`). toml-patch
 * re-renders only what changed; it is loaded on first use, so no other command pays for it.
 * The file is replaced atomically (a crash leaves the old file or the new, never half).
 */
import { chown, readFile, stat } from 'node:fs/promises';
import { ConfigError } from '@oxydra/types';
import { stringify } from 'smol-toml';
import { writeFileAtomic } from './atomic-write.js';
import { isPlainObject, type PlainObject, setPath } from './layers.js';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new ConfigError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      source: path,
    });
  }
}

/** The file's text with `path` set to `value` (or removed, `value` undefined); undefined: no change. */
export async function editedToml(
  text: string,
  path: readonly string[],
  value: unknown,
  source: string,
): Promise<string | undefined> {
  const toml = await import('@decimalturn/toml-patch');
  let current: PlainObject;
  try {
    current = text.trim() === '' ? {} : (toml.parse(text) as PlainObject);
  } catch (error) {
    throw new ConfigError(`${source}: not valid TOML, so it is left as it is (${(error as Error).message})`, {
      source,
    });
  }
  const updated = structuredClone(current);
  if (value === undefined) {
    let table: unknown = updated;
    for (const segment of path.slice(0, -1)) table = isPlainObject(table) ? table[segment] : undefined;
    if (!isPlainObject(table) || !(path.at(-1)! in table)) return undefined;
    delete table[path.at(-1)!];
  } else setPath(updated, path, value);
  if (text.trim() !== '') return toml.patch(text, updated);
  // A new file: smol-toml writes `[providers.registry.openai]` where toml-patch would nest
  // inline tables (`registry = { openai = { ... } }`), which reads badly and is edited worse.
  return stringify(updated);
}

/**
 * Sets (or, with `value` undefined, removes) one key of the TOML file at `path`, creating the
 * file if needed. Returns false when there was nothing to remove. `mode` forces the file's mode
 * (a file that now holds a key is made private whatever it was before).
 */
export async function editTomlFile(
  path: string,
  keyPath: readonly string[],
  value: unknown,
  options: { mode?: number } = {},
): Promise<boolean> {
  const text = await readText(path);
  const edited = await editedToml(text, keyPath, value, path);
  if (edited === undefined) return false;
  const before = await stat(path).catch(() => undefined);
  // The file keeps its mode and, edited by root (sudo), its owner; a new one is private.
  await writeFileAtomic(path, edited.endsWith('\n') ? edited : `${edited}\n`, {
    mode: options.mode ?? (before ? before.mode & 0o777 : 0o600),
  });
  if (before && process.getuid?.() === 0 && before.uid !== 0) await chown(path, before.uid, before.gid);
  return true;
}
