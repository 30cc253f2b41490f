/** Reading one TOML config file: syntax errors name the file, line and column. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@oxydra/types';
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
