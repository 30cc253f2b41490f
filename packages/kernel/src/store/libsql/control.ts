/**
 * The kernel database's control stores as one group (ControlStoreGroup, @oxydra/types): tokens,
 * the approvals queue, schedules, the audit chain, spend and the usage log on the database's one connection, so a
 * transaction binds them simply by being open on it, and the services' audit entries commit with
 * what they record. One group per database, its stores the database's one instance of each
 * (kernel-db.ts storeOn): statements are prepared once.
 */
import type { ControlStoreGroup, ControlStores } from '@oxydra/types';
import { type KernelDb, storeOn, writeTransaction } from '../kernel-db.js';
import { LibsqlApprovalStore } from './approvals.js';
import { LibsqlAuditStore, LibsqlSpendStore, LibsqlUsageStore } from './ledgers.js';
import { LibsqlScheduleStore } from './schedules.js';
import { LibsqlTokenStore } from './tokens.js';

const groups = new WeakMap<KernelDb, ControlStoreGroup<'sync'>>();

export function libsqlControlStores(db: KernelDb): ControlStoreGroup<'sync'> {
  let group = groups.get(db);
  if (!group) {
    const stores: ControlStores<'sync'> = {
      tokens: storeOn(db, LibsqlTokenStore),
      approvals: storeOn(db, LibsqlApprovalStore),
      schedules: storeOn(db, LibsqlScheduleStore),
      audit: storeOn(db, LibsqlAuditStore),
      spend: storeOn(db, LibsqlSpendStore),
      usage: storeOn(db, LibsqlUsageStore),
    };
    group = { ...stores, transaction: (fn) => writeTransaction(db, () => fn(stores)) };
    groups.set(db, group);
  }
  return group;
}
