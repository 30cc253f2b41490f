/** Every store contract suite of @oxydra/testkit against PostgreSQL, racing two real pools. */
import {
  approvalStoreContract,
  auditStoreContract,
  controlStoreGroupContract,
  noteStoreContract,
  scheduleStoreContract,
  searchIndexStoreContract,
  sessionStoreContract,
  spendStoreContract,
  stateStoreContract,
  tokenStoreContract,
  usageStoreContract,
} from '@oxydra/testkit/store-contracts';
import { describePostgres, postgresOpener } from './postgres-helpers.js';

describePostgres('PostgreSQL stores', () => {
  sessionStoreContract(postgresOpener((stores) => stores.sessions));
  stateStoreContract(postgresOpener((stores) => stores.state));
  noteStoreContract(postgresOpener((stores) => stores.notes));
  searchIndexStoreContract(
    postgresOpener((stores) => ({
      open: (model) => stores.searchIndex(model),
      async addSession(id, userId) {
        await stores.sessions.create({ id, ...(userId !== undefined ? { userId } : {}) });
      },
    })),
  );
  tokenStoreContract(postgresOpener((stores) => stores.control.tokens));
  approvalStoreContract(postgresOpener((stores) => stores.control.approvals));
  scheduleStoreContract(postgresOpener((stores) => stores.control.schedules));
  auditStoreContract(postgresOpener((stores) => stores.control.audit));
  // With its bus open: the spend store tells of cap changes only while one listens.
  spendStoreContract(postgresOpener((stores) => stores.control.spend, { bus: true }));
  usageStoreContract(postgresOpener((stores) => stores.control.usage));
  controlStoreGroupContract(postgresOpener((stores) => stores.control));
});
