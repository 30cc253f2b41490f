/** GET /v1/models (every agent, as OpenAI models) and GET /v1/models/:id (one, or 404 model_not_found). */
import type { FastifyInstance } from 'fastify';
import { replyError } from './reply-error.js';

const model = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'oxydra' });

export function registerModelRoutes(app: FastifyInstance, agents: readonly string[]): void {
  const ids = ['default', ...agents];
  app.get('/v1/models', async () => ({ object: 'list', data: ids.map(model) }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request, reply) => {
    const { id } = request.params;
    if (!ids.includes(id))
      return replyError(
        reply,
        404,
        'model_not_found',
        `model "${id.slice(0, 80)}" is not an agent of this gateway (known: ${ids.join(', ')})`,
      );
    return model(id);
  });
}
