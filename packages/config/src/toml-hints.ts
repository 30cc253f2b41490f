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

/** A key = value line, its comment cut (a `#` inside the value is rare in these mistakes). */
const ASSIGNMENT = /^\s*([A-Za-z0-9_.\-"' ]+?)\s*=\s*(.*?)\s*(?:#.*)?$/;
const HEADER = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;

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
  const match = ASSIGNMENT.exec(line);
  const key = match?.[1];
  const value = match?.[2];
  if (key === undefined || value === undefined || !/^[A-Za-z][\w.:/@+-]*$/.test(value)) return undefined;
  const boolean = BOOLEAN_WORDS[value.toLowerCase()];
  if (boolean !== undefined) return `a yes/no value is true or false, lower case: ${key} = ${boolean}`;
  return `a text value is quoted in TOML: ${key} = "${value}"`;
}

function unclosedQuote(line: string): boolean {
  const value = ASSIGNMENT.exec(line)?.[2] ?? '';
  const quote = value[0];
  return (quote === '"' || quote === "'") && (value.length === 1 || !value.endsWith(quote));
}

/** The earlier line that already defines what line `line` defines again: a table or a key. */
function redefinedHint(lines: readonly string[], line: number): string | undefined {
  const here = lines[line - 1] ?? '';
  const header = HEADER.exec(here);
  if (header?.[2] !== undefined) {
    const name = header[2];
    const first = lines.findIndex((text, index) => index < line - 1 && HEADER.exec(text)?.[2] === name);
    if (first === -1) return undefined;
    return `[${name}] is already opened on line ${first + 1}: a table is written once, so move these keys under that one`;
  }
  const key = ASSIGNMENT.exec(here)?.[1];
  if (key === undefined) return undefined;
  // The same key earlier in the same table (from the last header above this line).
  let index = line - 2;
  while (index >= 0 && !HEADER.test(lines[index] ?? '')) {
    if (ASSIGNMENT.exec(lines[index] ?? '')?.[1] === key)
      return `${key} is already set on line ${index + 1}: keep one of the two`;
    index -= 1;
  }
  return undefined;
}
