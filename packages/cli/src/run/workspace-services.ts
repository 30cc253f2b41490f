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
  // PostgreSQL's stores when [store] names it (loaded only then), so the command sees what the
  // gateways on that database see.
  const { servicesStores } = await import('./store-choice.js');
  const chosen = await servicesStores(config);
  try {
    const opened = await openServices({
      workspace: findWorkspaceRoot(),
      config,
      ...(chosen.stores ? { stores: chosen.stores } : {}),
    });
    try {
      return await use(await opened.services(...names), config);
    } finally {
      await opened.close();
    }
  } finally {
    await chosen.close();
  }
}
