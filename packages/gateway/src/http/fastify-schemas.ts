/**
 * Fastify's compilers for routes that declare a JSON Schema, for both of the gateway's Fastify
 * instances (server.ts, api/instance.ts). No route declares one: requests are checked with zod
 * (api/define.ts, the WebSocket protocol's frames). Left to itself, Fastify builds its default
 * compilers (@fastify/ajv-compiler and fast-json-stringify's, which load and set up ajv) when an
 * instance is made: ~4 ms of every gateway start. These fail the route that declares a schema,
 * when the instance gets ready, instead of validating with a second schema language.
 */
import type { FastifyServerOptions } from 'fastify';

function noJsonSchemas(): never {
  throw new Error(
    'internal: a gateway route declares a JSON Schema for Fastify; the gateway checks requests with zod',
  );
}

export const ZOD_ONLY_SCHEMAS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator: noJsonSchemas, buildSerializer: noJsonSchemas },
};
