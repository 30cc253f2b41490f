/** Opening the workspace's kernel services (audit, budgets, checkpoints) for the CLI commands. */
import { findWorkspaceRoot, loadAgentConfig } from '@oxydra/config';
import { openWorkspaceServices, type WorkspaceServices } from '@oxydra/kernel';
import type { AgentConfig } from '@oxydra/types';

export async function withWorkspaceServices<T>(
  use: (services: WorkspaceServices, config: AgentConfig) => Promise<T>,
): Promise<T> {
  const { config } = await loadAgentConfig();
  const services = await openWorkspaceServices({ workspace: findWorkspaceRoot(), config });
  try {
    return await use(services, config);
  } finally {
    await services.close();
  }
}
