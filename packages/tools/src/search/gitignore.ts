/**
 * A .gitignore reader for the JS search fallback, covering the patterns people write: comments,
 * `!` negation, a leading or middle `/` anchoring to the file's folder, a trailing `/` for
 * folders only, `*`, `?`, `[...]` and `**`. Later lines win over earlier ones, and a deeper
 * .gitignore over a shallower one, as in git.
 */

interface Rule {
  regex: RegExp;
  negated: boolean;
  directoryOnly: boolean;
}

/** A glob (already stripped of `!`, anchoring and the trailing slash) as a regex body. */
function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '\\' && i + 1 < glob.length) {
      out += escapeChar(glob[++i]!);
    } else if (char === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      // `**/` matches zero or more folders; a trailing or inner `**` anything at all.
      out += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
      } else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else {
      out += escapeChar(char);
    }
  }
  return out;
}

const escapeChar = (char: string): string => char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function parseLine(raw: string): Rule | undefined {
  let line = raw.replace(/\r$/, '');
  if (line === '' || line.startsWith('#')) return undefined;
  // Trailing spaces are ignored unless escaped.
  line = line.replace(/(?<!\\)\s+$/, '');
  let negated = false;
  if (line.startsWith('!')) {
    negated = true;
    line = line.slice(1);
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
  }
  const directoryOnly = line.endsWith('/');
  if (directoryOnly) line = line.replace(/\/+$/, '');
  if (line === '') return undefined;
  // A slash anywhere but the end ties the pattern to this folder; otherwise it matches a name at any depth.
  const anchored = line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  const prefix = anchored ? '' : '(?:.*/)?';
  return { regex: new RegExp(`^${prefix}${globToRegex(line)}$`), negated, directoryOnly };
}

export class GitIgnore {
  readonly #rules: Rule[];

  /** `base`: the folder holding the .gitignore, relative to the search root, '' for the root. */
  constructor(
    readonly base: string,
    text: string,
  ) {
    this.#rules = text.split('\n').flatMap((line) => parseLine(line) ?? []);
  }

  /** true: ignored; false: re-included by a `!` rule; undefined: no rule here says. */
  verdict(path: string, isDirectory: boolean): boolean | undefined {
    const prefix = this.base === '' ? '' : `${this.base}/`;
    if (!path.startsWith(prefix)) return undefined;
    const local = path.slice(prefix.length);
    let verdict: boolean | undefined;
    for (const rule of this.#rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(local)) verdict = !rule.negated;
    }
    return verdict;
  }
}

/** Whether `path` is ignored under `ignores`, ordered from the root folder down. */
export function isIgnored(ignores: readonly GitIgnore[], path: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const ignore of ignores) {
    const verdict = ignore.verdict(path, isDirectory);
    if (verdict !== undefined) ignored = verdict;
  }
  return ignored;
}
