/** The libSQL SessionStore (memory.sessions) passes the shared SessionStore contract on real files. */
import { sessionStoreContract } from '@oxydra/testkit/store-contracts';
import { openMemory } from '../src/index.js';
import { tempDir } from './store-helpers.js';

sessionStoreContract(async () => {
  const tmp = tempDir();
  const memory = await openMemory({ path: tmp.path('sessions.db') });
  return {
    store: memory.sessions,
    // No `another`: a second client on this file in this process would block the event loop
    // waiting for the first one's write transaction; two processes appending to one session are
    // raced in store-processes.test.ts.
    async close() {
      await memory.close();
      tmp.cleanup();
    },
  };
});
