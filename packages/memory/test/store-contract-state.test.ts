/** The libSQL StateStore (memory.state) passes the shared StateStore contract on real files. */
import { stateStoreContract } from '@oxydra/testkit/store-contracts';
import { memoryStoreOpener } from './store-helpers.js';

// Every state write is one statement, so a second client on the file can race the first.
stateStoreContract(memoryStoreOpener((memory) => memory.state, { another: true }));
