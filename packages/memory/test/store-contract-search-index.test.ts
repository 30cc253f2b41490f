/** The libSQL search index (LibsqlSearchIndex on the memory file) passes the shared SearchIndexStore contract. */
import { searchIndexStoreContract } from '@oxydra/testkit/store-contracts';
import { LibsqlSearchIndex } from '../src/index.js';
import { memoryStoreOpener } from './store-helpers.js';

searchIndexStoreContract(
  memoryStoreOpener((memory) => ({
    open: (model) => new LibsqlSearchIndex(memory.client, model),
    async addSession(id, userId) {
      await memory.sessions.create({ id, ...(userId !== undefined ? { userId } : {}) });
    },
  })),
);
