/**
 * A SKILL.md's YAML front matter and body. Skills written for other tools often carry front
 * matter that strict YAML refuses (`description: Use when: reviewing` — an unquoted colon), and
 * those tools read it anyway; so when YAML fails, the top-level `key: value` lines are read as
 * plain strings before the file is given up.
 *
 * The YAML parser is loaded only when some front matter needs it (~35 ms of module parsing,
 * paid by every `oxydra run` otherwise): front matter of plain `key: text` lines, which is what
 * the bundled skills and most others have, is read without it. Callers that may meet other
 * front matter `await loadYaml()` first.
 */

type YamlParse = (source: string, options: { maxAliasCount: number; uniqueKeys: boolean }) => unknown;
let yamlParse: YamlParse | undefined;

/** Loads the YAML parser (once). */
export async function loadYaml(): Promise<void> {
  yamlParse ??= (await import('yaml')).parse as YamlParse;
}

export function yamlLoaded(): boolean {
  return yamlParse !== undefined;
}

/** Front matter beyond plain lines met before loadYaml(): a caller's bug, said plainly. */
export class YamlNotLoaded extends Error {
  constructor() {
    super('its front matter needs the YAML parser, which was not loaded (call loadYaml first)');
  }
}

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
  const simple = simpleKeys(yaml);
  if (simple) return simple;
  if (!yamlParse) throw new YamlNotLoaded();
  let value: unknown;
  try {
    // Aliases bounded: a hostile file cannot expand into gigabytes ("billion laughs").
    value = yamlParse(yaml, { maxAliasCount: 50, uniqueKeys: false });
  } catch (error) {
    const lenient = plainKeys(yaml);
    if (lenient) return lenient;
    throw new Error(`its front matter is not valid YAML: ${firstLine((error as Error).message)}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('its front matter is not a mapping');
  return value as Record<string, unknown>;
}

/**
 * Front matter that YAML would read exactly as these strings: only top-level `key: value` lines
 * (comments and blank lines aside) whose values are plain text YAML keeps as a string — no
 * quotes, flow or block syntax, anchors, tags, comments, `: ` inside, nor a value YAML would read
 * as a number, boolean or null. Anything else: undefined (the YAML parser decides).
 */
function simpleKeys(yaml: string): Record<string, string> | undefined {
  const data: Record<string, string> = {};
  for (const line of yaml.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z][A-Za-z0-9_-]*):[ ]+(\S.*?)[ \t]*$/.exec(line);
    if (!match) return undefined;
    const value = match[2]!;
    if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(value) || /: | #|\t/.test(value) || value.endsWith(':'))
      return undefined;
    if (
      /^(?:true|false|null|~|yes|no|on|off|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]+|0o[0-7]+|[-+]?\.inf|\.nan)$/i.test(
        value,
      )
    ) {
      return undefined;
    }
    if (Object.hasOwn(data, match[1]!)) return undefined;
    data[match[1]!] = value;
  }
  return Object.keys(data).length > 0 ? data : undefined;
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
