/** The libSQL NoteStore (memory.notes) passes the shared NoteStore contract on real files. */
import { noteStoreContract } from '@oxydra/testkit/store-contracts';
import { memoryStoreOpener } from './store-helpers.js';

noteStoreContract(memoryStoreOpener((memory) => memory.notes));
