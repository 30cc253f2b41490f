/**
 * Verifying the chain an AuditStore holds, on any backend (a copied chain, `oxydra store copy`):
 * the same check as `oxydra audit verify` (verify.ts), read page by page through the contract.
 */
import type { AuditStore } from '@oxydra/types';
import { EntryHasher } from './entry.js';
import { type VerifyReport, verifyRows } from './verify.js';

const PAGE = 1000;

/** The store's entries as verify.ts reads rows, a page at a time (never the whole chain in memory). */
async function* rowsOf(
  store: AuditStore,
): AsyncGenerator<[number, string, string, string, string, string, string]> {
  for (let after = 0; ; ) {
    const page = await store.range(after, PAGE);
    for (const e of page) yield [e.seq, e.ts, e.actor, e.action, e.resource, e.prevHash, e.hash];
    if (page.length < PAGE) return;
    after = page.at(-1)!.seq;
  }
}

export async function verifyAuditStore(store: AuditStore, now: Date = new Date()): Promise<VerifyReport> {
  return verifyRows(rowsOf(store), {
    hasher: await EntryHasher.create(),
    pruned: await store.pruned(),
    anchors: [],
    now,
  });
}
