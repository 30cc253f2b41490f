/** The store contract suites run against the kernel database's control stores (libSQL). */
import {
  approvalStoreContract,
  auditStoreContract,
  controlStoreGroupContract,
  scheduleStoreContract,
  spendStoreContract,
  tokenStoreContract,
  usageStoreContract,
} from '@oxydra/testkit/store-contracts';
import { controlStoreOpener } from './control-store-helpers.js';

// Each token and approval write is one statement, so a second connection can race the first.
tokenStoreContract(controlStoreOpener((group) => group.tokens, { another: true }));
approvalStoreContract(controlStoreOpener((group) => group.approvals, { another: true }));
// A claim is one write transaction inside one call, so two connections can race it here.
scheduleStoreContract(controlStoreOpener((group) => group.schedules, { another: true }));
// An append is one write transaction inside one call (head read and inserts under the lock).
auditStoreContract(controlStoreOpener((group) => group.audit, { another: true }));
// A reservation reads and inserts in one write transaction inside one call.
spendStoreContract(controlStoreOpener((group) => group.spend, { another: true }));
usageStoreContract(controlStoreOpener((group) => group.usage));
// No second connection: a transaction held across awaits would block its writes (and the event
// loop: the binding is synchronous) until the busy timeout.
controlStoreGroupContract(controlStoreOpener((group) => group));
