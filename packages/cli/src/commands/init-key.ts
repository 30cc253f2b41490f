/**
 * Where `oxydra init` keeps a key: a pasted key goes to the user's own providers.toml
 * (~/.config/oxydra, mode 0600), never into the workspace, whose .oxydra/ may be committed or
 * read by whoever shares the folder. Its comments and other entries are kept (toml-patch).
 */
import { isAbsolute, join } from 'node:path';
import { userConfigDirectory } from '@oxydra/config';
import { editTomlFile } from '@oxydra/config/admin';
import { UsageError } from '@oxydra/types';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be an environment variable's name, or undefined when it can. */
export function variableNameProblem(name: string): string | undefined {
  return VARIABLE_NAME.test(name)
    ? undefined
    : `"${name}" is not a variable name: letters, digits and _, not starting with a digit`;
}

export function checkVariableName(name: string): void {
  const problem = variableNameProblem(name);
  if (problem) throw new UsageError(problem, { hint: 'e.g. --api-key-env OPENROUTER_API_KEY' });
}

/**
 * Why a pasted text cannot be a key, or undefined. The message never repeats the text: it is
 * shown on the screen the key was typed into to keep it hidden.
 */
export function pastedKeyProblem(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return 'paste the key, or press Esc to go without';
  if (!/^[\x21-\x7e]+$/.test(text.trim()))
    return 'a key is one word of printable characters: no spaces, line breaks or other symbols';
  return undefined;
}

/** The user's own providers.toml (under $XDG_CONFIG_HOME or ~/.config). */
export function userProvidersFile(): string {
  return join(userConfigDirectory({ cwd: process.cwd() }), 'providers.toml');
}

/** Stores `key` as the api_key of `provider` in the user's providers.toml; returns that file. */
export async function storeKey(provider: string, key: string): Promise<string> {
  const problem = pastedKeyProblem(key);
  if (problem) throw new UsageError(`the pasted key was not stored: ${problem}`);
  const file = userProvidersFile();
  // A relative XDG_CONFIG_HOME (which the XDG spec says to ignore) would put the key under
  // the current folder: the workspace, which may be committed.
  if (!isAbsolute(file))
    throw new UsageError(`not storing the key in ${file}: that path is relative to this folder`, {
      hint: 'set XDG_CONFIG_HOME to an absolute path (or unset it), or keep the key in a variable',
    });
  // 0600 even when the file was readable by others before: it now holds a key.
  await editTomlFile(file, ['providers', 'registry', provider, 'api_key'], key.trim(), { mode: 0o600 });
  return file;
}
