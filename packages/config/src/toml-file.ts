/** Reading one TOML config file: syntax errors name the file, line and column. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@oxydra/types';
import { readSmallFile } from '@oxydra/types/fs';
import { parse, TomlError } from 'smol-toml';
import type { PlainObject } from './layers.js';
import { tomlHint } from './toml-hints.js';

export async function readTomlFile(path: string): Promise<PlainObject | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR')
      throw new ConfigError(`${path}: is a directory, expected a TOML file`, { source: path });
    if (code === 'EACCES')
      throw new ConfigError(`${path}: permission denied (check the file's owner and mode)`, { source: path });
    throw error;
  }
  return parseTomlText(text, path);
}

/** A workspace config file's cap: far above any real one, and the bound on what is read. */
const WORKSPACE_CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * A workspace's config file, planted by whoever writes the workspace (a cloned repository, a
 * root guest's sandboxed commands): a link is refused rather than followed to a file of the
 * host's, and a FIFO, device or file over 1 MiB is not read (a FIFO hung the read for good).
 */
export function readWorkspaceTomlFile(path: string): PlainObject | undefined {
  const file = readSmallFile(path, { maxBytes: WORKSPACE_CONFIG_MAX_BYTES });
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
      throw new ConfigError(
        `${path}:${error.line}:${error.column}: invalid TOML: ${reason}`,
        { source: path, line: error.line, column: error.column },
        { cause: error, hint: tomlHint(text, reason, error.line) },
      );
    }
    throw error;
  }
}
