/**
 * Verifying the chain an AuditStore holds, on any backend (a copied chain, `oxydra store copy`):
 * the same check as `oxydra audit verify` (verify.ts), read page by page through the contract.
 */
import type { AuditStore } from '@oxydra/types';
import { EntryHasher } from './entry.js';
import { type VerifyReport, verifyRows } from './verify.js';

const PAGE = 1000;

export async function verifyAuditStore(store: AuditStore, now: Date = new Date()): Promise<VerifyReport> {
  const rows: [number, string, string, string, string, string, string][] = [];
  for (let after = 0; ; ) {
    const page = await store.range(after, PAGE);
    for (const e of page) rows.push([e.seq, e.ts, e.actor, e.action, e.resource, e.prevHash, e.hash]);
    if (page.length < PAGE) break;
    after = page.at(-1)!.seq;
  }
  return verifyRows(rows, {
    hasher: await EntryHasher.create(),
    pruned: await store.pruned(),
    anchors: [],
    now,
  });
}
