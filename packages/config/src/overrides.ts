/**
 * String overrides: `OXYDRA__A__B=value` environment variables and `--set a.b=value` flags.
 * The schema decides how a string becomes a value, so `OXYDRA__RUNTIME__MAX_TURNS=12` is a
 * number, `OXYDRA__MEMORY__ENABLED=false` a boolean and `...__ENV_KEYS=A,B` a list. How the
 * schema is looked inside (the walk below) is shared with validation and the reference.
 */
import { ConfigError, compareCodePoints, didYouMean, STORE_URL_ENV } from '@oxydra/types';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { type ConfigLayer, type PlainObject, setPath } from './layers.js';

export const ENV_PREFIX = 'OXYDRA__';

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Parse a TOML value literal such as `["a", "b"]` or `{ X = "y" }`. */
function parseTomlValue(text: string): unknown {
  return parseToml(`value = ${text}`).value;
}

function coerce(raw: string, schema: z.ZodType, source: string, keyPath: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(`${source}: ${keyPath} = ${JSON.stringify(raw)} is not ${expected}`, {
      source,
      keyPath,
    });
  };
  const kind = kindOf(schema);
  const text = raw.trim();
  switch (kind) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.has(lower)) return true;
      if (FALSE_WORDS.has(lower)) return false;
      return fail('a boolean (true/false, 1/0, yes/no, on/off)');
    }
    case 'number': {
      const number = Number(text);
      if (text === '' || !Number.isFinite(number)) return fail('a number');
      return number;
    }
    case 'array': {
      if (text.startsWith('[')) {
        try {
          return parseTomlValue(text);
        } catch {
          return fail('a list (write a,b,c or ["a", "b"])');
        }
      }
      const element = elementSchema(schema);
      const items = text === '' ? [] : text.split(',').map((item) => item.trim());
      return element ? items.map((item) => coerce(item, element, source, keyPath)) : items;
    }
    case 'object':
    case 'record': {
      try {
        return parseTomlValue(text);
      } catch {
        return fail('a table (write a TOML inline table such as { KEY = "value" })');
      }
    }
    default:
      return raw;
  }
}

export interface Override {
  /** Key path segments, already lower-cased where the convention requires. */
  path: string[];
  raw: string;
  /** How to name this override in messages: "environment variable OXYDRA__X" or "--set x=y". */
  source: string;
}

/** Turn string overrides into a config layer, checking each key against the schema. */
export function overridesToLayer(
  overrides: readonly Override[],
  root: z.ZodType,
  label: string,
): ConfigLayer {
  const values: PlainObject = {};
  const keySources = new Map<string, string>();
  for (const override of overrides) {
    const keyPath = override.path.join('.');
    if (override.path.length === 0 || override.path.some((segment) => segment === '')) {
      throw new ConfigError(
        `${override.source}: "${keyPath}" is not a valid key path (use SECTION__KEY, e.g. RUNTIME__MAX_TURNS)`,
        {
          source: override.source,
        },
      );
    }
    const found = schemaAt(root, override.path);
    if ('unknownAt' in found) throw unknownKeyError(override.source, override.path, found);
    setPath(values, override.path, coerce(override.raw, found.schema, override.source, keyPath));
    keySources.set(keyPath, override.source);
  }
  return { source: label, values, keySources };
}

/** `OXYDRA__RUNTIME__MAX_TURNS=12` -> { path: ["runtime", "max_turns"], raw: "12" }. Keys are lower-cased. */
export function envOverrides(env: NodeJS.ProcessEnv): Override[] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[0].startsWith(ENV_PREFIX) && entry[1] !== undefined)
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([name, raw]) => ({
      path: name
        .slice(ENV_PREFIX.length)
        .split('__')
        .map((segment) => segment.toLowerCase()),
      raw,
      source: `environment variable ${name}`,
    }));
}

/** `runtime.max_turns=12` (from `--set`) -> an override. */
export function parseSetFlag(assignment: string): Override {
  const equals = assignment.indexOf('=');
  if (equals <= 0) {
    throw new ConfigError(`--set ${assignment}: expected KEY=VALUE, e.g. --set runtime.max_turns=12`, {
      source: '--set',
    });
  }
  const key = assignment.slice(0, equals).trim();
  return { path: key.split('.'), raw: assignment.slice(equals + 1), source: `--set ${key}` };
}

/** Variables Oxydra reads that are not configuration keys, and so rightly have one underscore. */
export const OTHER_OXYDRA_VARIABLES: ReadonlySet<string> = new Set([
  'OXYDRA_DEBUG',
  'OXYDRA_SYSTEM_CONFIG_DIR',
  'OXYDRA_GATEWAY_TOKEN',
  'OXYDRA_HF_BASE_URL',
  'OXYDRA_NO_BUNDLE',
  'OXYDRA_BOOTSTRAP_FILE',
  'OXYDRA_COMMAND',
  'OXYDRA_LOCAL_KEY_FILE',
  STORE_URL_ENV,
]);

export interface MisnamedVariable {
  variable: string;
  /** The configuration variable it was probably meant to be. */
  meant: string;
}

/**
 * `OXYDRA_RUNTIME__MAX_TURNS` or `OXYDRA_MEMORY_ENABLED`: meant as configuration, but without
 * the double underscore after OXYDRA it is silently ignored. Found here so the CLI can warn.
 * `configSections` are agent.toml's top-level keys (`AGENT_CONFIG_SECTIONS`).
 */
export function misnamedEnvVariables(
  env: NodeJS.ProcessEnv,
  configSections: readonly string[],
): MisnamedVariable[] {
  const sections = configSections.map((key) => key.toUpperCase());
  const found: MisnamedVariable[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith('OXYDRA_') || variable.startsWith(ENV_PREFIX)) continue;
    if (OTHER_OXYDRA_VARIABLES.has(variable)) continue;
    const rest = variable.slice('OXYDRA_'.length);
    const section = sections.find(
      (name) => rest.toUpperCase().startsWith(`${name}_`) || rest.toUpperCase() === name,
    );
    if (rest.includes('__')) found.push({ variable, meant: `${ENV_PREFIX}${rest}` });
    else if (section) {
      const key = rest.slice(section.length).replace(/^_/, '');
      found.push({
        variable,
        meant: `${ENV_PREFIX}${rest.slice(0, section.length)}${key ? `__${key}` : ''}`,
      });
    }
  }
  return found;
}

/**
 * Looking inside zod schemas: which keys an object allows (for "did you mean" hints and
 * environment overrides) and what kind of value a key expects (to coerce env strings).
 */

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
  element?: AnySchema;
  entries?: Record<string, string | number>;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strip optional / default / prefault / nullable / pipe wrappers. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

export function kindOf(schema: AnySchema): string {
  return defOf(unwrap(schema)).type;
}

/** The schema of a child key, or undefined when the key is not allowed there. */
export function childSchema(schema: AnySchema, key: string): AnySchema | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return def.shape?.[key];
  if (def.type === 'record') return def.valueType;
  return undefined;
}

/**
 * A key path the schema does not have (`--set`, an OXYDRA__ variable, `config get|set|unset`):
 * the unknown part and where, "did you mean" when a key there is close, else the keys allowed
 * there (at the top level, the sections), and the command that lists every key.
 */
export function unknownKeyError(
  source: string,
  path: readonly string[],
  found: { unknownAt: number; parent: AnySchema },
): ConfigError {
  const bad = path[found.unknownAt]!;
  const where = path.slice(0, found.unknownAt).join('.') || '(top level)';
  const allowed = knownKeys(found.parent);
  const close = didYouMean(bad, allowed);
  const keysThere = close === '' && allowed.length > 0 ? `; the keys there: ${allowed.join(', ')}` : '';
  return new ConfigError(
    `${source}: unknown key "${path.slice(0, found.unknownAt + 1).join('.')}" in ${where}${close}${keysThere}`,
    { source, keyPath: path.join('.') },
    { hint: '`oxydra config show` lists every key with its value; docs/configuration.md explains each' },
  );
}

/** The keys an object schema allows (empty for records, which allow any key). */
export function knownKeys(schema: AnySchema): string[] {
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

export function elementSchema(schema: AnySchema): AnySchema | undefined {
  return defOf(unwrap(schema)).element;
}

export function enumValues(schema: AnySchema): string[] | undefined {
  const def = defOf(unwrap(schema));
  return def.type === 'enum' && def.entries ? Object.values(def.entries).map(String) : undefined;
}

/** Walk a path of keys from the root; undefined with the failing index when a key is unknown. */
export function schemaAt(
  root: AnySchema,
  path: readonly string[],
): { schema: AnySchema } | { unknownAt: number; parent: AnySchema } {
  let current = root;
  for (let i = 0; i < path.length; i++) {
    const next = childSchema(current, path[i]!);
    if (!next) return { unknownAt: i, parent: current };
    current = next;
  }
  return { schema: current };
}
