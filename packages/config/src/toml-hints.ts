/**
 * The fix for the TOML mistakes people make most when editing agent.toml by hand. The parser's
 * own words ("invalid value", "control characters are not allowed in strings", "trying to
 * redefine an already defined table or value") name the rule, not what to change; each hint
 * here is built from the offending line itself, or is absent when the line does not show a
 * known mistake.
 */

const BOOLEAN_WORDS: Readonly<Record<string, 'true' | 'false'>> = {
  yes: 'true',
  on: 'true',
  true: 'true',
  no: 'false',
  off: 'false',
  false: 'false',
};

/**
 * The file is someone's: a cloned repository's agent.toml is hostile, and its failing line may be
 * megabytes long. So lines are split with indexOf and checked with patterns that cannot
 * backtrack (two overlapping quantifiers, such as a lazy key with spaces before `\s*=`, took
 * 0.7 s on a 20,000-character line, growing with its square).
 */
const KEY = /^[A-Za-z0-9_.\-"' ]+$/;

/** A `key = value` line's key and value, trimmed, the value's comment cut (a `#` inside the value is rare in these mistakes). */
function assignment(line: string): { key: string; value: string } | undefined {
  const equals = line.indexOf('=');
  if (equals === -1) return undefined;
  const key = line.slice(0, equals).trim();
  if (!KEY.test(key)) return undefined;
  const rest = line.slice(equals + 1);
  const hash = rest.indexOf('#');
  return { key, value: (hash === -1 ? rest : rest.slice(0, hash)).trim() };
}

/** A `[table]` or `[[array]]` line's name, trimmed. */
function header(line: string): string | undefined {
  const text = line.trim();
  if (!text.startsWith('[')) return undefined;
  const open = text.startsWith('[[') ? 2 : 1;
  const close = text.indexOf(']', open);
  if (close === -1) return undefined;
  const after = text
    .slice(close)
    .replace(/^\]\]?/, '')
    .trim();
  if (after !== '' && !after.startsWith('#')) return undefined;
  const name = text.slice(open, close).trim();
  return name === '' ? undefined : name;
}

export function tomlHint(text: string, reason: string, line: number): string | undefined {
  const lines = text.split(/\r?\n/);
  const here = lines[line - 1] ?? '';
  if (reason === 'invalid value') return bareValueHint(here);
  if (reason.startsWith('control characters are not allowed in strings') && unclosedQuote(here))
    return 'a string is missing its closing quote: close it on the same line (or use """ for text over several lines)';
  if (reason.startsWith('trying to redefine')) return redefinedHint(lines, line);
  return undefined;
}

function bareValueHint(line: string): string | undefined {
  const { key, value } = assignment(line) ?? {};
  if (key === undefined || value === undefined || !/^[A-Za-z][\w.:/@+-]*$/.test(value)) return undefined;
  const boolean = BOOLEAN_WORDS[value.toLowerCase()];
  if (boolean !== undefined) return `a yes/no value is true or false, lower case: ${key} = ${boolean}`;
  return `a text value is quoted in TOML: ${key} = "${value}"`;
}

function unclosedQuote(line: string): boolean {
  const value = assignment(line)?.value ?? '';
  const quote = value[0];
  return (quote === '"' || quote === "'") && (value.length === 1 || !value.endsWith(quote));
}

/** The earlier line that already defines what line `line` defines again: a table or a key. */
function redefinedHint(lines: readonly string[], line: number): string | undefined {
  const here = lines[line - 1] ?? '';
  const name = header(here);
  if (name !== undefined) {
    const first = lines.findIndex((text, index) => index < line - 1 && header(text) === name);
    if (first === -1) return undefined;
    return `[${name}] is already opened on line ${first + 1}: a table is written once, so move these keys under that one`;
  }
  const key = assignment(here)?.key;
  if (key === undefined) return undefined;
  // The same key earlier in the same table (from the last header above this line).
  let index = line - 2;
  while (index >= 0 && header(lines[index] ?? '') === undefined) {
    if (assignment(lines[index] ?? '')?.key === key)
      return `${key} is already set on line ${index + 1}: keep one of the two`;
    index -= 1;
  }
  return undefined;
}
