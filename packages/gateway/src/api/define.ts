/**
 * The REST API's routes are declared once, as data: method, path, the role needed, zod schemas
 * for the path, query and body, and the response's schema. The same declaration registers the
 * Fastify route (inputs validated, the role checked, errors in the one shape) and becomes the
 * route's entry in the OpenAPI 3.1 document (openapi.ts), so the document cannot drift from the
 * code. A user token is kept to its own user's data by each handler (`scope.user`).
 */
import type { Kernel } from '@oxydra/kernel';
import type { Principal, Role } from '@oxydra/kernel/admin';
import { MemoryValidationError } from '@oxydra/memory/store-input';
import { isOxydraError } from '@oxydra/types';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { principalOf, requireRole } from '../auth.js';
import { GatewayError, HTTP_STATUS } from '../errors.js';
import { describeIssues, replyError } from '../http/reply-error.js';

export const API_PREFIX = '/api/v1';

type Method = 'get' | 'post' | 'put' | 'delete';

/** What a handler gets: the parsed inputs and who is asking. */
interface ApiContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  /** The only user a `user` token may see; undefined for operator and admin tokens. */
  user: string | undefined;
  /** "token:<id>", for the audit chain. */
  actor: string;
  kernel: Kernel;
  reply: FastifyReply;
}

export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** OpenAPI style, below /api/v1: "/sessions/{id}". */
  path: string;
  summary: string;
  /** More for the document: what the answer means beyond its schema (Markdown). */
  description?: string;
  tag: string;
  /** The least role allowed; default user (every token). */
  role?: Role;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The JSON answer's schema; absent for a route that writes its own (a stream, a download). */
  response?: z.ZodType;
  /** Another media type the route answers with (text/event-stream, text/markdown). */
  produces?: string;
  /** The status of success; default 200. */
  status?: number;
  /** Other successful answers the handler may give (202 queued for approval), by status. */
  alternatives?: Record<number, { description: string; response: z.ZodType }>;
  handler(context: ApiContext<P, Q, B>): Promise<unknown> | unknown;
}

/** Declares a route with its types inferred from its schemas. */
export function route<P = unknown, Q = unknown, B = unknown>(definition: ApiRoute<P, Q, B>): ApiRoute {
  return definition as unknown as ApiRoute;
}

/** An API failure the handler means: its status, code and message go to the client as they are. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

function refused(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof ApiError) return replyError(reply, error.status, error.code, error.message);
  if (error instanceof GatewayError)
    return replyError(reply, HTTP_STATUS[error.code], error.code, error.message);
  // A kernel refusal (a usage error: an unknown schedule, a limit): the client's mistake, said as it is.
  if (isOxydraError(error) && (error.code === 'usage_error' || error.code === 'config_error')) {
    return replyError(
      reply,
      400,
      'invalid_request',
      `${error.message}${error.hint ? ` (${error.hint})` : ''}`,
    );
  }
  // The memory's own limits on what is stored (a note's size, its tags): the client's input, not a bug.
  if (error instanceof MemoryValidationError) return replyError(reply, 400, 'invalid_request', error.message);
  throw error;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success)
    throw new ApiError(400, 'invalid_request', `${where}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Registers every route under /api/v1. */
export function registerApiRoutes(app: FastifyInstance, kernel: Kernel, routes: readonly ApiRoute[]): void {
  for (const definition of routes) {
    const url = API_PREFIX + definition.path.replace(/\{(\w+)\}/g, ':$1');
    app.route({
      method: definition.method.toUpperCase() as 'GET',
      url,
      handler: async (request, reply) => {
        try {
          const principal = principalOf(request.raw);
          if (definition.role) requireRole(principal, definition.role, definition.summary.toLowerCase());
          const context: ApiContext<unknown, unknown, unknown> = {
            params: parse(definition.params, request.params, 'path'),
            query: parse(definition.query, request.query, 'query'),
            body: parse(definition.body, request.body, 'body'),
            principal,
            user: principal.user,
            actor: `token:${principal.tokenId}`,
            kernel,
            reply,
          };
          const result = await definition.handler(context);
          if (reply.sent) return reply;
          return reply.code(definition.status ?? 200).send(result);
        } catch (error) {
          return refused(reply, error);
        }
      },
    });
  }
}
