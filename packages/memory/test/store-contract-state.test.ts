/** The libSQL StateStore (memory.state) passes the shared StateStore contract on real files. */
import { stateStoreContract } from '@oxydra/testkit/store-contracts';
import { openMemory } from '../src/index.js';
import { tempDir } from './store-helpers.js';

stateStoreContract(async () => {
  const tmp = tempDir();
  const path = tmp.path('state.db');
  const memory = await openMemory({ path });
  return {
    store: memory.state,
    // A second client on the same file, as a second process would open it.
    async another() {
      const other = await openMemory({ path });
      return { store: other.state, close: () => other.close() };
    },
    async close() {
      await memory.close();
      tmp.cleanup();
    },
  };
});
