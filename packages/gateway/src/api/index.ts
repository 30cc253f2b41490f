/** The REST API under /api/v1: every route the dashboard uses, and its OpenAPI document. */
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LoginCodes } from '../login-codes.js';
import type { GatewayLogger, GatewayTrust } from '../types.js';
import { type ApiRoute, registerApiRoutes, route } from './define.js';
import { adminRoutes } from './routes/admin.js';
import { agentRoutes } from './routes/agents.js';
import { type ChannelReports, channelRoutes } from './routes/channels.js';
import { checkpointRoutes } from './routes/checkpoints.js';
import { costRoutes } from './routes/costs.js';
import { eventRoutes, type RemoteFeed } from './routes/events.js';
import { loginRoutes } from './routes/login.js';
import { memoryRoutes } from './routes/memory.js';
import { runRoutes } from './routes/runs.js';
import { scheduleRoutes } from './routes/schedules.js';
import { sessionRoutes } from './routes/sessions.js';
import { type SystemInfo, systemRoutes } from './routes/system.js';
import { TrustView, trustRoutes } from './routes/trust.js';

export interface ApiOptions extends SystemInfo {
  /** Seconds between keep-alive comments on /api/v1/events. */
  keepAliveMs: number;
  /** The workspace trust the configuration was loaded with (GatewayOptions.trust). */
  trust?: GatewayTrust | undefined;
  /** Events of agents on the other gateway processes (one of several on a store); absent: none. */
  remoteFeed?: RemoteFeed | undefined;
  /** Where dashboard login codes live (POST /login-codes); absent: no such route. */
  loginCodes?: LoginCodes;
  /** The chat channels' reports (GatewayOptions.channels); absent: no /channels route. */
  channels?: ChannelReports | undefined;
  /** The gateway's log (a live feed dropped for not reading says so there). */
  log?: GatewayLogger;
}

function apiRoutes(options: ApiOptions): ApiRoute[] {
  const trust = new TrustView(options.trust);
  return [
    ...systemRoutes(options, trust),
    ...trustRoutes(trust),
    ...(options.loginCodes ? loginRoutes(options.loginCodes) : []),
    ...sessionRoutes(),
    ...agentRoutes(),
    ...runRoutes(),
    ...eventRoutes(options.keepAliveMs, options.remoteFeed, options.log),
    ...scheduleRoutes(),
    ...memoryRoutes(),
    ...adminRoutes(),
    ...checkpointRoutes(),
    ...costRoutes(),
    ...(options.channels ? channelRoutes(options.channels) : []),
  ];
}

export function registerApi(app: FastifyInstance, kernel: Kernel, options: ApiOptions): void {
  const routes = apiRoutes(options);
  const documentRoute = route({
    method: 'get',
    path: '/openapi.json',
    tag: 'system',
    summary: 'This document',
    response: z.record(z.string(), z.unknown()),
    // Made on first request: zod-openapi and the walk over every schema cost memory at start-up
    // that a gateway nobody asks for its document never needs.
    handler: async () => {
      document ??= (await import('./openapi.js')).openApiDocument([...routes, documentRoute], '0.1.0');
      return document;
    },
  });
  let document: unknown;
  registerApiRoutes(app, kernel, [...routes, documentRoute]);
}
