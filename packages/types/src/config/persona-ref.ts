/**
 * What a `persona` setting names: a character file when it ends in `.json` or `.toml` (as
 * `extname` reads it: a dotfile's name is not an extension), otherwise a persona by name. One
 * home for the rule, read by the persona store and by the taint policy, which guards character
 * files as instructions. Without node:path, so browser bundles of @oxydra/types can hold it.
 */
export type CharacterFormat = 'json' | 'toml';

export function characterFormat(path: string): CharacterFormat | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = name.slice(dot).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.toml' ? 'toml' : undefined;
}
