/** Probes, open to anyone: /healthz (the process answers) and /readyz (the store answers, not shutting down). */
import type { FastifyInstance } from 'fastify';
import type { GatewayHub } from '../hub.js';

export function registerHealthRoutes(app: FastifyInstance, hub: GatewayHub): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (hub.closing) return reply.code(503).send({ status: 'not_ready', reason: 'shutting down' });
    try {
      await hub.store.get('readyz-probe');
    } catch {
      return reply.code(503).send({ status: 'not_ready', reason: 'the session store does not answer' });
    }
    // Ready either way; the sandbox says whether shell_exec runs isolated, unsandboxed by choice,
    // or is refused (no working sandbox), so a monitor can alert on it.
    return { status: 'ready', ...(hub.options.sandbox ? { sandbox: hub.options.sandbox } : {}) };
  });
}
