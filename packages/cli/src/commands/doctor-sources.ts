/**
 * `oxydra doctor`'s lines for tool sources: each plugin ([plugins.load]) and MCP server
 * ([mcp.servers]) started as a run would start it, and its health. Only when some are
 * configured: opening a kernel for nothing would slow the doctor down.
 */
import type { AgentConfig } from '@oxydra/types';
import type { Check } from './doctor-check.js';

export async function toolSourceChecks(config: AgentConfig, workspace: string): Promise<Check[]> {
  const plugins = Object.values(config.plugins.load).some((entry) => entry.enabled);
  const servers = Object.values(config.mcp.servers).some((server) => server.enabled);
  if (!plugins && !servers) return [];
  const { openKernel } = await import('@oxydra/kernel');
  let kernel: Awaited<ReturnType<typeof openKernel>>;
  try {
    kernel = await openKernel({ workspace, config, host: 'cli', warn: () => {} });
  } catch (error) {
    return [
      { name: 'plugins', status: 'fail', detail: (error as Error).message, fix: 'oxydra config validate' },
    ];
  }
  try {
    return kernel.toolSourceHealth().map((health) => ({
      name: health.name,
      status: health.ok ? 'ok' : 'fail',
      detail: health.detail,
    }));
  } finally {
    await kernel.close();
  }
}
