/**
 * The OpenAPI 3.1 document of /api/v1, made from the routes' own zod schemas (zod-openapi), so
 * it says exactly what the code validates and answers. Served at /api/v1/openapi.json.
 */

import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import { API_PREFIX, type ApiRoute } from './define.js';
import { errorSchema } from './schemas.js';

const ERRORS = {
  '400': 'invalid request (the message names the field)',
  '401': 'missing or invalid token',
  '403': "the token's role or user does not allow it",
  '404': "not found (or another user's)",
} as const;

/** The document for these routes (and the openapi.json route itself). */
export function openApiDocument(
  routes: readonly ApiRoute[],
  version: string,
): ReturnType<typeof createDocument> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = API_PREFIX + route.path;
    const success = {
      description: route.summary,
      content: route.produces
        ? { [route.produces]: { schema: route.response ?? z.string() } }
        : { 'application/json': { schema: route.response ?? z.unknown() } },
    };
    const errors = Object.fromEntries(
      Object.entries(ERRORS).map(([status, description]) => [
        status,
        { description, content: { 'application/json': { schema: errorSchema } } },
      ]),
    );
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: operationId(route),
      ...describeRoute(route),
      requestParams: {
        ...(route.params ? { path: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
      },
      ...(route.body
        ? {
            requestBody: {
              required: !route.body.safeParse(undefined).success,
              content: { 'application/json': { schema: route.body } },
            },
          }
        : {}),
      responses: {
        [String(route.status ?? 200)]: success,
        ...Object.fromEntries(
          Object.entries(route.alternatives ?? {}).map(([status, alternative]) => [
            status,
            {
              description: alternative.description,
              content: { 'application/json': { schema: alternative.response } },
            },
          ]),
        ),
        ...errors,
      },
    };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Oxydra gateway API',
      version,
      description:
        'Everything the web dashboard does. Send the gateway token (or a token from `oxydra token add`) as `Authorization: Bearer <token>`; a `user` token sees and changes only its own user\'s data. Errors are `{"error": {"message", "type", "code"}}`.',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: paths as never,
  });
}

/** The route's own description, and the role it needs when more than a user token. */
function describeRoute(route: ApiRoute): { description?: string } {
  const parts = [
    ...(route.role && route.role !== 'user' ? [`Needs the ${route.role} role.`] : []),
    ...(route.description ? [route.description] : []),
  ];
  return parts.length > 0 ? { description: parts.join('\n\n') } : {};
}

/** "get /sessions/{id}/export" → "getSessionsIdExport". */
function operationId(route: ApiRoute): string {
  const words = route.path.split(/[/{}_-]+/).filter(Boolean);
  return route.method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}
