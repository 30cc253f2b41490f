/**
 * Opens the kernel database's control stores for the store contract suites: a fresh kernel.db
 * in a temp workspace, seen through the async view (the contract's shape), and, where asked, a
 * second connection on the same file as a second process would hold. Through the package's
 * `@oxydra/kernel/stores` entry, as another backend's package compares against it.
 */

import { asyncControlStores, type KernelDb, openKernelDb } from '@oxydra/kernel/stores';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import type { StoreOpener } from '@oxydra/testkit/store-contracts';
import type { ControlStoreGroup } from '@oxydra/types';

export function controlStoreOpener<S>(
  pick: (group: ControlStoreGroup) => S,
  options: { another?: boolean } = {},
): StoreOpener<S> {
  return async () => {
    const workspace = tempWorkspace({ prefix: 'oxydra-control-store-' });
    const db = await openKernelDb(workspace.dir);
    const others: KernelDb[] = [];
    return {
      store: pick(asyncControlStores(db)),
      ...(options.another
        ? {
            async another() {
              const other = await openKernelDb(workspace.dir);
              others.push(other);
              return { store: pick(asyncControlStores(other)), close: async () => void other.close() };
            },
          }
        : {}),
      async close() {
        for (const other of others) if (other.open) other.close();
        db.close();
        workspace.cleanup();
      },
    };
  };
}
