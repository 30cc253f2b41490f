/** The libSQL SessionStore (memory.sessions) passes the shared SessionStore contract on real files. */
import { sessionStoreContract } from '@oxydra/testkit/store-contracts';
import { memoryStoreOpener } from './store-helpers.js';

// No second client: in this process it would block the event loop waiting for the first one's
// write transaction; two processes appending to one session are raced in store-processes.test.ts.
sessionStoreContract(memoryStoreOpener((memory) => memory.sessions));
