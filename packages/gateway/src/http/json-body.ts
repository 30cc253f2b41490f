/**
 * The gateway's JSON request bodies: Fastify's own parser (which refuses `__proto__` and
 * `constructor.prototype` keys) after one linear pass that refuses nesting deeper than
 * MAX_JSON_DEPTH (json-depth.ts, the bound every door shares). JSON.parse takes any depth, but
 * code that later walks the value recursively does not: the Idempotency-Key fingerprint's
 * JSON.stringify ran out of stack on 5,000 levels in a field no schema checks, and the request
 * was answered 500. One bound where every body is parsed, rather than a guard at each recursive
 * walk (fingerprint, schema check, SDK).
 */
import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { nestsTooDeep, tooDeepMessage } from '../json-depth.js';

/** A body refused for its nesting: answered 400 `invalid_json` by fastify-errors.ts. */
export class JsonTooDeepError extends Error {
  readonly statusCode = 400;
  constructor() {
    super(tooDeepMessage('the request body', 'body'));
  }
}

/** Fastify's JSON parser behind the depth bound, for `application/json` and other JSON types. */
export function boundedJsonParser(app: FastifyInstance): FastifyBodyParser<string> {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (nestsTooDeep(body)) {
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
