/**
 * Who am I, how is the gateway doing, and the configuration it runs with (secrets masked), with
 * what the workspace holds back until it is trusted (routes/trust.ts).
 */
import { maskSecrets } from '@oxydra/types';
import { z } from 'zod';
import { route } from '../define.js';
import { type TrustView, trustReportSchema, trustSummarySchema } from './trust.js';

const VERSION = '0.1.0';

export interface SystemInfo {
  /** WebSocket clients connected now. */
  clients(): number;
}

export function systemRoutes(info: SystemInfo, trust: TrustView) {
  return [
    route({
      method: 'get',
      path: '/me',
      tag: 'system',
      summary: 'Who the token is',
      response: z.object({
        user: z.string().nullable(),
        role: z.enum(['user', 'operator', 'admin']),
        token_id: z.string(),
      }),
      handler: ({ principal }) => ({
        user: principal.user ?? null,
        role: principal.role,
        token_id: principal.tokenId,
      }),
    }),
    route({
      method: 'get',
      path: '/health',
      tag: 'system',
      summary: 'Health and resources',
      response: z.object({
        status: z.enum(['ok', 'degraded']),
        version: z.string(),
        uptime_secs: z.number(),
        sandbox: z.object({ tier: z.string(), shell: z.string(), summary: z.string() }),
        tool_sources: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
        resources: z.object({
          process: z.object({ rss_bytes: z.number(), heap_used_bytes: z.number(), uptime_secs: z.number() }),
          system: z.object({
            load_avg: z.array(z.number()),
            cpus: z.number(),
            free_mem_bytes: z.number(),
            total_mem_bytes: z.number(),
          }),
          agents: z.object({ active: z.number(), running: z.number(), idle: z.number(), total: z.number() }),
          sessions: z.number().describe('sessions an agent is running in now'),
          stored_sessions: z
            .number()
            .optional()
            .describe(
              "sessions stored that the token may see (what /sessions lists): a user token's own, else all users'",
            ),
        }),
        scheduler: z.object({ enabled: z.boolean(), started: z.boolean() }),
        clients: z.number(),
        trust: trustSummarySchema,
      }),
      handler: async ({ kernel, user }) => {
        const resources = await kernel.resources();
        // The Sessions page lists stored sessions; the resources count those an agent runs in.
        // A user token counts its own (the kernel's rule), never every user's.
        const stored = kernel.config.memory.enabled
          ? await (await kernel.service('sessionAccess')).count({ userId: user })
          : undefined;
        const sources = kernel.toolSourceHealth().map((health) => ({
          name: health.name,
          ok: health.ok,
          detail: health.detail,
        }));
        return {
          status: sources.every((source) => source.ok) ? 'ok' : 'degraded',
          version: VERSION,
          uptime_secs: resources.process.uptimeSecs,
          sandbox: kernel.sandbox,
          tool_sources: sources,
          resources: {
            process: {
              rss_bytes: resources.process.rssBytes,
              heap_used_bytes: resources.process.heapUsedBytes,
              uptime_secs: resources.process.uptimeSecs,
            },
            system: {
              load_avg: resources.system.loadAvg,
              cpus: resources.system.cpus,
              free_mem_bytes: resources.system.freeMemBytes,
              total_mem_bytes: resources.system.totalMemBytes,
            },
            agents: resources.agents,
            sessions: resources.sessions,
            ...(stored !== undefined ? { stored_sessions: stored } : {}),
          },
          scheduler: {
            enabled: kernel.config.scheduler.enabled,
            started: (await kernel.service('scheduler')).started,
          },
          clients: info.clients(),
          trust: trust.summary(),
        };
      },
    }),
    route({
      method: 'get',
      path: '/config',
      tag: 'system',
      role: 'operator',
      summary: 'The effective configuration',
      description:
        "`trust` says which settings of the workspace's own `.oxydra/` are held back until it is trusted (POST /api/v1/trust).",
      response: z.object({
        config: z.record(z.string(), z.unknown()).describe('every secret masked'),
        trust: trustReportSchema,
      }),
      handler: ({ kernel }) => ({
        config: maskSecrets(kernel.config) as Record<string, unknown>,
        trust: trust.report(),
      }),
    }),
  ];
}
