/**
 * The control stores on PostgreSQL as one group (ControlStoreGroup): tokens, approvals,
 * schedules, the audit chain, spend and usage on one database, whose `transaction(fn)` holds one
 * client in BEGIN ... COMMIT for fn. The stores fn is given, the group's stores called from
 * inside fn, and a nested transaction all join it (database.ts follows the async context).
 */
import type { ControlStoreGroup, ControlStores } from '@oxydra/types';
import { PostgresApprovalStore } from './approvals.js';
import { PostgresAuditStore } from './audit.js';
import type { CapsSignal } from './caps-signal.js';
import type { PgDatabase } from './database.js';
import { PostgresScheduleStore } from './schedules.js';
import { PostgresSpendStore } from './spend.js';
import { PostgresTokenStore } from './tokens.js';
import { PostgresUsageStore } from './usage.js';

/** `caps`: how the spend store tells of cap changes (open.ts has it follow the bus). */
export function postgresControlStores(db: PgDatabase, schema: string, caps?: CapsSignal): ControlStoreGroup {
  const stores: ControlStores = {
    tokens: new PostgresTokenStore(db),
    approvals: new PostgresApprovalStore(db),
    schedules: new PostgresScheduleStore(db),
    audit: new PostgresAuditStore(db),
    spend: new PostgresSpendStore(db, schema, caps),
    usage: new PostgresUsageStore(db),
  };
  return { ...stores, transaction: (fn) => db.transaction(() => fn(stores)) };
}
