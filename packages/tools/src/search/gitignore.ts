/**
 * A .gitignore reader for the JS search fallback, covering the patterns people write: comments,
 * `!` negation, a leading or middle `/` anchoring to the file's folder, a trailing `/` for
 * folders only, `*`, `?`, `[...]` and `**`. Later lines win over earlier ones, and a deeper
 * .gitignore over a shallower one, as in git. Patterns are matched by glob-match's automaton,
 * never compiled to regexes: the file is model-writable.
 */
import { globMatcher } from './glob-match.js';

/**
 * Bounds on the matching work a model-written .gitignore can ask for (each path costs at most
 * rules × path length × pattern length steps): real files are a few KB of short patterns, so
 * longer patterns are ignored and the file is read up to this size.
 */
const MAX_PATTERN_CHARS = 1_024;
const MAX_GITIGNORE_CHARS = 64 * 1024;

interface Rule {
  matches: (path: string) => boolean;
  negated: boolean;
  directoryOnly: boolean;
}

/** Where `line` ends without the trailing characters that pass `test`: a scan from the end (`/x+$/` is quadratic in a long run). */
function endWithout(line: string, test: (char: string) => boolean): number {
  let end = line.length;
  while (end > 0 && test(line[end - 1] ?? '')) end--;
  return end;
}

/** `line` without trailing whitespace, unless escaped (`\ `). */
function trimUnescaped(line: string): string {
  let end = endWithout(line, (char) => /\s/.test(char));
  // An escaped whitespace character stays, and so does everything before it.
  if (end < line.length && end > 0 && line[end - 1] === '\\') end++;
  return line.slice(0, end);
}

function parseLine(raw: string): Rule | undefined {
  let line = raw.replace(/\r$/, '');
  if (line === '' || line.startsWith('#')) return undefined;
  // Trailing spaces are ignored unless escaped.
  line = trimUnescaped(line);
  let negated = false;
  if (line.startsWith('!')) {
    negated = true;
    line = line.slice(1);
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
  }
  const directoryOnly = line.endsWith('/');
  if (directoryOnly)
    line = line.slice(
      0,
      endWithout(line, (char) => char === '/'),
    );
  if (line === '' || line.length > MAX_PATTERN_CHARS) return undefined;
  // A slash anywhere but the end ties the pattern to this folder; otherwise it matches a name at any depth.
  const anchored = line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  return { matches: globMatcher(line, !anchored), negated, directoryOnly };
}

export class GitIgnore {
  readonly #rules: Rule[];

  /** `base`: the folder holding the .gitignore, relative to the search root, '' for the root. */
  constructor(
    readonly base: string,
    text: string,
  ) {
    this.#rules = text
      .slice(0, MAX_GITIGNORE_CHARS)
      .split('\n')
      .flatMap((line) => parseLine(line) ?? []);
  }

  /** true: ignored; false: re-included by a `!` rule; undefined: no rule here says. */
  verdict(path: string, isDirectory: boolean): boolean | undefined {
    const prefix = this.base === '' ? '' : `${this.base}/`;
    if (!path.startsWith(prefix)) return undefined;
    const local = path.slice(prefix.length);
    let verdict: boolean | undefined;
    for (const rule of this.#rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.matches(local)) verdict = !rule.negated;
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
