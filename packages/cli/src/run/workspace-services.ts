/** Opening the workspace's held kernel services (audit, budgets, checkpoints, ...) for the CLI's admin commands. */
import { findWorkspaceRoot } from '@oxydra/config';
import { type KernelServices, openServices, type ServiceName } from '@oxydra/kernel';
import type { AgentConfig } from '@oxydra/types';
import { loadCliConfig } from './load-config.js';

/** Opens exactly the named services (nothing else loads), runs `use`, then closes them. */
export async function withWorkspaceServices<N extends ServiceName, T>(
  names: N[],
  use: (services: Pick<KernelServices, N>, config: AgentConfig) => Promise<T>,
): Promise<T> {
  const { config } = await loadCliConfig();
  const opened = await openServices({ workspace: findWorkspaceRoot(), config });
  try {
    return await use(await opened.services(...names), config);
  } finally {
    await opened.close();
  }
}
