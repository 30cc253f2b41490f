/**
 * Probes, open to anyone: /healthz (the process answers) and /readyz (the store answers, the
 * audit chain verified intact, a member of the deployment with a working event bus when one of several, the workspace's .oxydra/ still the one opened, not shutting
 * down; tool sources' states listed, and the chat channels the process answers, or not).
 */
import type { ToolSourceHealth } from '@oxydra/types';
import type { FastifyInstance } from 'fastify';
import { PUBLIC_ROUTE } from '../auth.js';
import type { Guardian } from '../guardian.js';
import type { GatewayHub } from '../hub.js';
import type { GatewayChannelServing } from '../types.js';
import type { WorkspaceGuard } from '../workspace-guard.js';

export function registerHealthRoutes(
  app: FastifyInstance,
  hub: GatewayHub,
  guardian: Guardian,
  toolSources: () => ToolSourceHealth[],
  workspace: Pick<WorkspaceGuard, 'problem'>,
  channelServing: () => readonly GatewayChannelServing[] = () => [],
): void {
  app.get('/healthz', PUBLIC_ROUTE, async () => ({ status: 'ok' }));
  app.get('/readyz', PUBLIC_ROUTE, async (_request, reply) => {
    if (hub.closing) return reply.code(503).send({ status: 'not_ready', reason: 'shutting down' });
    // Before the store: a removed folder's database still answers, from a file nobody will open.
    const moved = workspace.problem();
    if (moved !== undefined) return reply.code(503).send({ status: 'not_ready', reason: moved });
    // A new workspace's memory database is created at its first use: until then there is no file
    // to ask (reading would create it), only a folder the start found writable.
    const created = hub.store.exists?.() ?? true;
    if (created) {
      try {
        await hub.store.get('readyz-probe');
      } catch {
        return reply.code(503).send({ status: 'not_ready', reason: 'the session store does not answer' });
      }
    }
    // One of several processes: a member (beating) whose event bus answers, or no turn of
    // another process's session can be cancelled from here, nor its frames seen.
    const cluster = hub.cluster?.health();
    if (cluster && !cluster.ok) {
      return reply.code(503).send({ status: 'not_ready', reason: cluster.reason, cluster });
    }
    const audit = guardian.status();
    if (audit && !audit.ok) {
      return reply.code(503).send({
        status: 'not_ready',
        reason: `the audit chain is broken at ${audit.broken} (run \`oxydra audit verify\`)`,
        audit,
      });
    }
    // Ready either way; the sandbox says whether shell_exec runs isolated, unsandboxed by choice,
    // or is refused (no working sandbox), so a monitor can alert on it. Tool sources (MCP
    // servers, plugins) by name and state only: their details can name paths and hosts, and
    // this probe is open to anyone (`oxydra plugins list` and `oxydra mcp list` tell more).
    const sources = toolSources().map(({ name, ok }) => ({ name, ok }));
    // Chat channels likewise by name and state ("answered elsewhere": another process has it).
    const channels = channelServing().map(({ channel, state }) => ({ name: channel, state }));
    return {
      status: 'ready',
      ...(created ? {} : { session_store: 'created at first use' }),
      ...(hub.options.sandbox ? { sandbox: hub.options.sandbox } : {}),
      ...(audit ? { audit } : {}),
      ...(cluster ? { cluster } : {}),
      ...(sources.length > 0 ? { tool_sources: sources } : {}),
      ...(channels.length > 0 ? { channels } : {}),
    };
  });
}
