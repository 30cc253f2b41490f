/**
 * The REST API's door: /api/v1/* is one route on the gateway until someone uses it. Its route
 * declarations and zod schemas (index.ts and routes/) cost a fresh start about a fifth of its
 * time, which a gateway that only serves chat turns never needs. The first /api/v1 request loads
 * them and builds the API as a Fastify instance of its own (same body limit, same error and
 * not-found answers); each request then goes to that instance's router. The server's onRequest
 * hook (host check, token, shutting down, workspace moved) has run before a request reaches the
 * door, and the principal it found is kept on the raw request (auth.ts's rememberPrincipal), where the API's
 * routes read it. WebSocket upgrades are left to the server (@fastify/websocket refuses them:
 * no API route is a WebSocket).
 */
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance } from 'fastify';
import { replyError } from '../http/reply-error.js';
import { API_PREFIX } from './define.js';
import type { ApiDoorOptions } from './instance.js';

export interface ApiDoor {
  /** Closes the API's instance if it was built. */
  close(): Promise<void>;
}

export function mountApi(app: FastifyInstance, kernel: Kernel, options: ApiDoorOptions): ApiDoor {
  let built: Promise<FastifyInstance> | undefined;
  const api = () => {
    if (built) return built;
    built = import('./instance.js').then(({ buildApiInstance }) => buildApiInstance(kernel, options));
    // A failed build (it should not fail; its request gets the 500) is tried again by the next
    // request, not kept.
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
  app.route({
    method: app.supportedMethods,
    url: `${API_PREFIX}/*`,
    // Runs after the server's own onRequest hooks (route hooks come after global ones), and
    // before Fastify reads the body: the API's instance reads it, under its own limit.
    onRequest: async (request, reply) => {
      if (request.ws) return;
      const instance = await api();
      reply.hijack();
      instance.routing(request.raw, reply.raw);
    },
    // Not reached: other requests go to the API's instance from the hook, and @fastify/websocket
    // answers upgrades itself (it closes one made to a route that is not a WebSocket).
    handler: async (request, reply) =>
      replyError(reply, 404, 'not_found', `no endpoint ${request.method} ${request.url.split('?', 1)[0]}`),
  });
  return {
    async close() {
      const instance = await built?.catch(() => undefined);
      await instance?.close();
    },
  };
}
