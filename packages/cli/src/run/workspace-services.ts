/** Opening the workspace's kernel services (audit, budgets, checkpoints) for the CLI commands. */
import { findWorkspaceRoot } from '@oxydra/config';
import { openWorkspaceServices, type WorkspaceServices } from '@oxydra/kernel';
import type { AgentConfig } from '@oxydra/types';
import { loadCliConfig } from './load-config.js';

export async function withWorkspaceServices<T>(
  use: (services: WorkspaceServices, config: AgentConfig) => Promise<T>,
): Promise<T> {
  const { config } = await loadCliConfig();
  const services = await openWorkspaceServices({ workspace: findWorkspaceRoot(), config });
  try {
    return await use(services, config);
  } finally {
    await services.close();
  }
}
