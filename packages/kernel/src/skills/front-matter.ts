/**
 * A SKILL.md's YAML front matter and body. Skills written for other tools often carry front
 * matter that strict YAML refuses (`description: Use when: reviewing` — an unquoted colon), and
 * those tools read it anyway; so when YAML fails, the top-level `key: value` lines are read as
 * plain strings before the file is given up.
 */
import { parse } from 'yaml';

export interface FrontMatter {
  /** The parsed keys; undefined when the file has no front matter. */
  data: Record<string, unknown> | undefined;
  body: string;
}

const OPENING = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*\r?$/m;

/** Throws an Error with a one-line message when the front matter is not a mapping. */
export function splitFrontMatter(text: string): FrontMatter {
  const opening = OPENING.exec(text);
  if (!opening) return { data: undefined, body: text.replace(/^\uFEFF/, '') };
  const rest = text.slice(opening[0].length);
  const closing = CLOSING.exec(rest);
  if (!closing) throw new Error('the front matter has no closing --- line');
  const yaml = rest.slice(0, closing.index);
  const body = rest.slice(closing.index + closing[0].length).replace(/^\r?\n/, '');
  return { data: parseYaml(yaml), body };
}

function parseYaml(yaml: string): Record<string, unknown> {
  let value: unknown;
  try {
    // Aliases bounded: a hostile file cannot expand into gigabytes ("billion laughs").
    value = parse(yaml, { maxAliasCount: 50, uniqueKeys: false });
  } catch (error) {
    const lenient = plainKeys(yaml);
    if (lenient) return lenient;
    throw new Error(`its front matter is not valid YAML: ${firstLine((error as Error).message)}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('its front matter is not a mapping');
  return value as Record<string, unknown>;
}

/** `key: value` top-level lines as strings (indented lines belong to the key above and are dropped). */
function plainKeys(yaml: string): Record<string, unknown> | undefined {
  const data: Record<string, unknown> = {};
  for (const line of yaml.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#') || /^\s/.test(line)) continue;
    const match = /^([A-Za-z0-9_-]+):[ \t]*(.*)$/.exec(line);
    if (!match) return undefined;
    const value = match[2]!.trim();
    // A value YAML would read as a list, a mapping or a block is really broken, not just loose.
    if (/^[[{|>&*!%@`]/.test(value)) return undefined;
    data[match[1]!] = unquote(value);
  }
  return Object.keys(data).length > 0 ? data : undefined;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    return value.slice(1, -1);
  }
  return value;
}

const firstLine = (text: string) => text.split('\n')[0]!.trim();
