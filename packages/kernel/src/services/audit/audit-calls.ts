/**
 * The audit system calls (Oxios's `audit()` / `verify()`): record an entry, list entries,
 * verify the chain against the heads recorded outside it, export it.
 */
import type { SessionStore } from '@oxydra/memory';
import type { KernelAudit } from './audit-log.js';
import type { AuditFilter, AuditHead, PrunedMarker } from './chain.js';
import type { AuditEntry } from './entry.js';
import type { AuditAnchor, VerifyReport } from './verify.js';

export interface AuditCalls {
  record(actor: string, type: string, data: Record<string, unknown>, resource?: string): Promise<AuditEntry>;
  list(filter?: AuditFilter): Promise<AuditEntry[]>;
  head(): Promise<AuditHead | undefined>;
  /** Checks every entry and link, and that the chain reaches every recorded head (plus `extra`). */
  verify(extra?: readonly AuditAnchor[]): Promise<VerifyReport>;
  /** Every entry, oldest first, and the pruning marker when older ones were pruned. */
  export(): Promise<{ pruned: PrunedMarker | undefined; entries: AsyncIterable<AuditEntry> }>;
}

export function auditCalls(
  audit: KernelAudit,
  sessions: () => Promise<SessionStore | undefined>,
): AuditCalls {
  return {
    record: (actor, type, data, resource) => audit.record(actor, type, data, resource),
    list: (filter) => audit.chain.list(filter),
    head: () => audit.chain.head(),
    verify: async (extra = []) => audit.chain.verify([...(await audit.anchors(await sessions())), ...extra]),
    export: async () => ({ pruned: await audit.chain.pruned(), entries: audit.chain.entries() }),
  };
}
