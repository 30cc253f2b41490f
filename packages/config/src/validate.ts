/**
 * Validation with messages people can act on: each names the source (file or environment
 * variable), the key path, the bad value and what is allowed.
 */
import { ConfigError, ConfigErrors, didYouMean, isSecretKey, MASK } from '@oxydra/types';
import type { z } from 'zod';
import { isPlainObject, type PlainObject, sourceOf } from './layers.js';
import { knownKeys, schemaAt } from './overrides.js';

function valueAt(values: unknown, path: readonly PropertyKey[]): unknown {
  let current = values;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function showValue(value: unknown, key: PropertyKey | undefined): string {
  if (typeof key === 'string' && isSecretKey(key) && value !== undefined) return MASK;
  if (value === undefined) return '(missing)';
  // A URL's password ([store] url, a base_url) is never repeated, even in a refusal of it: after
  // the user, or as a `password` parameter (which the PostgreSQL driver reads as one), or in a
  // libpq keyword string (`host=db password=secret`, quoted or not), refused but still secret.
  let text = JSON.stringify(value)
    .replace(/(\w:\/\/[^\s/:@"]*:)[^\s/@"]+@/g, '$1***@')
    .replace(/((?:^"|[?&\s])password\s*=\s*)('[^']*'?|[^&\s"]*)/gi, '$1***');
  // A base URL's user alone may be the token (https://sk-…@host): all of it is masked, and so
  // is a password typed without the scheme (me:pw@host).
  if (key === 'base_url') {
    text = text.replace(/(\w:\/\/)[^\s/:@"]+@/g, '$1***@').replace(/^"([^\s/:@"]*:)[^\s/@"]+@/, '"$1***@');
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeProblem(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `is too short: needs at least ${issue.minimum} ${issue.origin === 'string' ? 'characters' : 'items'}`
        : `is out of range: must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `is too long: at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'items'}`
        : `is out of range: must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `is not allowed: use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      if (issue.format !== 'url') return issue.message;
      // The commonest slip (localhost:11434): the fix is the same text with a scheme, shown as
      // any value is (a password in it masked).
      return typeof value === 'string' && !value.includes('://')
        ? `is not a URL: it needs its scheme, e.g. ${showValue(`http://${value}`, issue.path.at(-1))}`
        : 'is not a valid URL for this key';
    default:
      return issue.message;
  }
}

/** Turn zod issues into ConfigErrors located by provenance. */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  values: PlainObject,
  provenance: ReadonlyMap<string, string>,
  fallbackSource: string,
): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const found = schemaAt(schema, path);
      const allowed = 'schema' in found ? knownKeys(found.schema) : [];
      for (const key of issue.keys) {
        const keyPath = [...path, key].join('.');
        const source = sourceOf(provenance, [...path, key]) ?? fallbackSource;
        errors.push(
          new ConfigError(
            `${source}: unknown key "${keyPath}"${didYouMean(key, allowed)}${allowed.length && !didYouMean(key, allowed) ? `; allowed here: ${allowed.join(', ')}` : ''}`,
            { source, keyPath },
          ),
        );
      }
      continue;
    }
    const keyPath = path.join('.') || '(top level)';
    const source = sourceOf(provenance, path) ?? fallbackSource;
    if (issue.code === 'invalid_key') {
      // A table's own name breaks a rule (`[mcp.servers.a__b]`): say the rule, not the table.
      const rule = issue.issues.map((inner) => inner.message).join('; ') || issue.message;
      errors.push(
        new ConfigError(
          `${source}: ${keyPath}: the name ${JSON.stringify(path.at(-1))} is not allowed: ${rule}`,
          {
            source,
            keyPath,
          },
        ),
      );
      continue;
    }
    const value = valueAt(values, issue.path);
    errors.push(
      new ConfigError(
        `${source}: ${keyPath} = ${showValue(value, issue.path.at(-1))} ${describeProblem(issue, value)}`,
        {
          source,
          keyPath,
        },
      ),
    );
  }
  return errors;
}

/** Parse `values` with `schema`, throwing one ConfigErrors with every problem found. */
export function validateWith<S extends z.ZodType>(
  schema: S,
  values: PlainObject,
  provenance: ReadonlyMap<string, string>,
  fallbackSource: string,
): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  throw new ConfigErrors(issuesToErrors(result.error.issues, schema, values, provenance, fallbackSource));
}

/** Provenance for a single file: every key path in it comes from that file. */
export function singleSourceProvenance(values: PlainObject, source: string): Map<string, string> {
  const provenance = new Map<string, string>();
  const walk = (object: PlainObject, prefix: string[]) => {
    for (const [key, value] of Object.entries(object)) {
      provenance.set([...prefix, key].join('.'), source);
      if (isPlainObject(value)) walk(value, [...prefix, key]);
    }
  };
  walk(values, []);
  return provenance;
}
