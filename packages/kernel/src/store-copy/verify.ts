/**
 * Checking a copy against its source: every table's record count on both sides, every
 * session's message count (through the SessionStore contract), the audit chain's head on both
 * sides and the whole chain verified on the target by the kernel's audit verifier.
 */
import type { AuditStore, SessionStore, StoreTransfer } from '@oxydra/types';
import { verifyAuditStore } from '../services/audit/verify-store.js';
import { routesOf } from './copy.js';

interface TableCheck {
  table: string;
  source: number;
  target: number;
}

export interface CopyCheck {
  ok: boolean;
  tables: TableCheck[];
  sessions: { checked: number; differing: string[] };
  audit: { sourceHead: string; targetHead: string; verified: boolean; problem?: string };
  /** The first difference, as one line; undefined when ok. */
  problem?: string;
}

export interface CheckOptions {
  from: readonly StoreTransfer[];
  to: readonly StoreTransfer[];
  sessions: { from: SessionStore; to: SessionStore };
  audit: { from: AuditStore; to: AuditStore };
}

const PAGE = 1000;

async function differingSessions(
  from: SessionStore,
  to: SessionStore,
): Promise<{ checked: number; differing: string[] }> {
  const differing: string[] = [];
  let checked = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await from.list({ limit: PAGE, offset });
    for (const session of page) {
      checked += 1;
      const there = (await to.get(session.id)) ? await to.countMessages(session.id) : -1;
      if (there !== session.messageCount) differing.push(session.id);
    }
    if (page.length < PAGE) return { checked, differing };
  }
}

const headOf = (head: { seq: number; hash: string } | undefined) =>
  head ? `#${head.seq} ${head.hash}` : 'none';

export async function checkCopy(options: CheckOptions): Promise<CopyCheck> {
  const tables: TableCheck[] = [];
  for (const { table, from, to } of routesOf(options.from, options.to)) {
    tables.push({ table, source: await from.count(table), target: await to.count(table) });
  }
  const sessions = await differingSessions(options.sessions.from, options.sessions.to);
  const report = await verifyAuditStore(options.audit.to);
  const audit = {
    sourceHead: headOf(await options.audit.from.head()),
    targetHead: headOf(await options.audit.to.head()),
    verified: report.ok,
    ...(report.problems[0] ? { problem: report.problems[0].message } : {}),
  };
  const table = tables.find((t) => t.source !== t.target);
  const problem = table
    ? `${table.table} has ${table.source} records in the source but ${table.target} in the target`
    : sessions.differing.length > 0
      ? `${sessions.differing.length} sessions have other message counts in the target (first: ${sessions.differing[0]})`
      : audit.sourceHead !== audit.targetHead
        ? `the audit chain's head is ${audit.sourceHead} in the source but ${audit.targetHead} in the target`
        : audit.problem !== undefined
          ? `the audit chain does not verify on the target: ${audit.problem}`
          : undefined;
  return {
    ok: problem === undefined,
    tables,
    sessions,
    audit,
    ...(problem !== undefined ? { problem } : {}),
  };
}
