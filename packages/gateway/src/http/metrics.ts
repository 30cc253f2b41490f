/**
 * GET /metrics: the kernel's OpenTelemetry metrics (tokens, dollars, model-call, turn and tool
 * durations, active agents, approval waits) in the Prometheus text format, for a Prometheus
 * scraper with a token (`authorization: Bearer ...` in its scrape config). They count every
 * user's usage, so an operator or admin token is needed. With `[otel]` off: 404 saying how to
 * turn it on (nothing of OpenTelemetry is loaded then).
 */
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance } from 'fastify';
import { principalOf, requireRole } from '../auth.js';
import { replyError, replyRefused } from './reply-error.js';

/** The Prometheus text exposition format, version 0.0.4. */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function registerMetricsRoute(app: FastifyInstance, kernel: Kernel): void {
  app.get('/metrics', async (request, reply) => {
    try {
      requireRole(principalOf(request.raw), 'operator', 'reading the metrics');
    } catch (error) {
      return replyRefused(reply, error);
    }
    const telemetry = kernel.telemetry;
    if (!telemetry) {
      return replyError(
        reply,
        404,
        'not_found',
        'metrics are off: set [otel] enabled = true in the configuration (or OXYDRA__OTEL__ENABLED=true) and restart the gateway',
      );
    }
    const text = await telemetry.prometheusText();
    return reply
      .header('content-type', PROMETHEUS_CONTENT_TYPE)
      .header('cache-control', 'no-store')
      .send(text);
  });
}
