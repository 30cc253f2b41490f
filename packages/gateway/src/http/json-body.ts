/**
 * The gateway's JSON request bodies: Fastify's own parser (which refuses `__proto__` and
 * `constructor.prototype` keys) after one linear pass that refuses nesting deeper than
 * MAX_JSON_DEPTH. JSON.parse takes any depth, but code that later walks the value recursively
 * does not: the Idempotency-Key fingerprint's JSON.stringify ran out of stack on 5,000 levels in
 * a field no schema checks, and the request was answered 500. One bound where every body is
 * parsed, rather than a guard at each recursive walk (fingerprint, schema check, SDK).
 */
import type { FastifyBodyParser, FastifyInstance } from 'fastify';

/**
 * Far deeper than any request needs (a JSON Schema in `response_format` nests a few dozen
 * levels), far below what a recursive walk of the value can take (thousands).
 */
export const MAX_JSON_DEPTH = 256;

/** A body refused for its nesting: answered 400 `invalid_json` by fastify-errors.ts. */
export class JsonTooDeepError extends Error {
  readonly statusCode = 400;
  constructor() {
    super(
      `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; send a flatter body`,
    );
  }
}

/**
 * Whether `text` opens more than `max` arrays and objects at once, brackets inside strings not
 * counted. Linear, with no recursion: a malformed text is left to the parser to refuse.
 */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Fastify's JSON parser behind the depth bound, for `application/json` and other JSON types. */
export function boundedJsonParser(app: FastifyInstance): FastifyBodyParser<string> {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      done(new JsonTooDeepError(), undefined);
      return;
    }
    return parse(request, body, done);
  };
}

/** Every `application/json` body of `app` parsed under the depth bound. */
export function useBoundedJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, boundedJsonParser(app));
}
