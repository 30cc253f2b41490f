/**
 * The AuditStore contract: every implementation runs these against a real backend. They pin
 * exact round trips of entries (hostile text, the action kept byte for byte), that entries the
 * caller linked where they land are stored as given and the others are moved after the head and
 * sealed again (so two writers never fork the chain, also racing on two handles), all-or-none
 * appends, paging, the filters, pruning behind a marker, and notes kept once.
 */
import type { AuditSeal, AuditStore, StoredAuditEntry } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { currentEach, HOSTILE_TEXT, rejection, type StoreOpener, withSecondHandle } from './harness.js';

/** FNV-1a as hex: a stand-in for the service's hash (the store only stores what seal returns). */
function fnv(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

const seal: AuditSeal = (entry, seq, prevHash) =>
  fnv(JSON.stringify([seq, entry.ts, entry.actor, entry.action, entry.resource, prevHash]));

/** Entries linked by the caller after `tail` (the head it last saw), as the audit service does. */
function linked(
  tail: { seq: number; hash: string } | undefined,
  fields: Partial<StoredAuditEntry>[],
): StoredAuditEntry[] {
  let seq = tail?.seq ?? 0;
  let prevHash = tail?.hash ?? 'genesis';
  return fields.map((field, index) => {
    seq += 1;
    const entry: StoredAuditEntry = {
      seq,
      ts: `2026-11-25T10:00:${String(index % 60).padStart(2, '0')}.000Z`,
      actor: 'agent:a',
      actionType: 'tool_call',
      action: JSON.stringify({ data: { n: seq }, type: field.actionType ?? 'tool_call' }),
      resource: '',
      prevHash,
      hash: '',
      ...field,
    };
    entry.hash = seal(entry, seq, prevHash);
    prevHash = entry.hash;
    return entry;
  });
}

/** True when every entry links to the one before it and its hash is its seal. */
function isChain(entries: readonly StoredAuditEntry[], first = 1, before = 'genesis'): boolean {
  let prev = before;
  return entries.every((entry, index) => {
    const ok =
      entry.seq === first + index && entry.prevHash === prev && entry.hash === seal(entry, entry.seq, prev);
    prev = entry.hash;
    return ok;
  });
}

export function auditStoreContract(open: StoreOpener<AuditStore>): void {
  describe('AuditStore contract', () => {
    const current = currentEach(open);

    it('starts empty and stores linked entries exactly as given', async () => {
      expect(await current.store.head()).toBeUndefined();
      expect(await current.store.count()).toBe(0);
      expect(await current.store.range(0, 10)).toEqual([]);
      const given = linked(
        undefined,
        HOSTILE_TEXT.map((text, index) => ({
          actor: `user:${text}`,
          resource: text,
          action: `{"data":{"text":${JSON.stringify(text)},"n":${index}},"type":"x"}`,
          actionType: 'x',
        })),
      );
      expect(await current.store.append(given, seal)).toEqual(given);
      expect(await current.store.range(0, 100)).toEqual(given);
      expect(await current.store.head()).toEqual({ seq: given.length, hash: given.at(-1)!.hash });
      expect(await current.store.count()).toBe(given.length);
      expect(await current.store.append([], seal)).toEqual([]);
    });

    it('stores a long batch (past any multi-row statement an implementation uses) in order', async () => {
      const given = linked(
        undefined,
        Array.from({ length: 37 }, (_, index) => ({ actor: `agent:${index}`, resource: `r${index}` })),
      );
      expect(await current.store.append(given, seal)).toEqual(given);
      const more = linked(await current.store.head(), [{ actor: 'agent:last' }]);
      await current.store.append(more, seal);
      const all = await current.store.range(0, 100);
      expect(all).toEqual([...given, ...more]);
      expect(isChain(all)).toBe(true);
    });

    it('moves entries linked after an old head to the end and seals them again', async () => {
      const first = linked(undefined, [{}, {}]);
      await current.store.append(first, seal);
      // Linked after nothing (as a writer that has not seen the first two would).
      const late = linked(undefined, [{ actor: 'agent:late' }, { actor: 'agent:late2' }]);
      const stored = await current.store.append(late, seal);
      expect(stored.map((entry) => [entry.seq, entry.actor])).toEqual([
        [3, 'agent:late'],
        [4, 'agent:late2'],
      ]);
      expect(stored[0]!.prevHash).toBe(first[1]!.hash);
      // The right seq after the wrong entry (a head that was replaced): linked again too.
      const forged = linked({ seq: 4, hash: 'not-the-head' }, [{ actor: 'agent:forged' }]);
      const [placed] = await current.store.append(forged, seal);
      expect(placed).toMatchObject({ seq: 5, prevHash: stored[1]!.hash });
      const all = await current.store.range(0, 10);
      expect(all).toEqual([...first, ...stored, placed]);
      expect(isChain(all)).toBe(true);
    });

    it('never forks the chain when two handles append from the same head', async () => {
      await withSecondHandle(current.opened, async (second) => {
        const head = await current.store.head();
        const writes = [];
        for (let i = 0; i < 10; i++) {
          const store = i % 2 ? second : current.store;
          writes.push(store.append(linked(head, [{ actor: `agent:${i}` }, { actor: `agent:${i}b` }]), seal));
        }
        await Promise.all(writes);
      });
      const all = await current.store.range(0, 100);
      expect(all).toHaveLength(20);
      expect(isChain(all)).toBe(true);
      expect(new Set(all.map((entry) => entry.actor)).size).toBe(20);
    });

    it('appends all or none', async () => {
      await current.store.append(linked(undefined, [{}]), seal);
      const failing: AuditSeal = (entry, seq, prev) => {
        if (entry.actor === 'agent:bad') throw new Error('cannot seal');
        return seal(entry, seq, prev);
      };
      const batch = linked(undefined, [{ actor: 'agent:good' }, { actor: 'agent:bad' }]);
      expect(await rejection(() => current.store.append(batch, failing))).toBeInstanceOf(Error);
      expect(await current.store.count()).toBe(1);
      expect((await current.store.range(0, 10)).map((entry) => entry.actor)).toEqual(['agent:a']);
    });

    it('pages in seq order and finds by actor, type and time, newest `limit` oldest first', async () => {
      const given = linked(
        undefined,
        Array.from({ length: 9 }, (_, i) => ({
          actor: i % 3 === 0 ? 'agent:x' : 'user:y',
          actionType: i % 2 ? 'tool_result' : 'tool_call',
          ts: `2026-11-25T10:00:0${i}.000Z`,
        })),
      );
      await current.store.append(given, seal);
      expect((await current.store.range(3, 4)).map((entry) => entry.seq)).toEqual([4, 5, 6, 7]);
      expect((await current.store.range(9, 4)).length).toBe(0);
      const seqs = async (filter: Parameters<AuditStore['find']>[0]) =>
        (await current.store.find(filter)).map((entry) => entry.seq);
      expect(await seqs({})).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await seqs({ actor: 'agent:x' })).toEqual([1, 4, 7]);
      expect(await seqs({ actionType: 'tool_result' })).toEqual([2, 4, 6, 8]);
      expect(await seqs({ since: '2026-11-25T10:00:06.000Z' })).toEqual([7, 8, 9]);
      expect(await seqs({ actor: 'agent:x', actionType: 'tool_call', limit: 1 })).toEqual([7]);
      expect(await seqs({ limit: 2 })).toEqual([8, 9]);
      expect(await seqs({ limit: 0 })).toEqual([]);
      expect(await seqs({ actor: "' OR 1=1 --" })).toEqual([]);
      expect((await current.store.find({ actor: 'agent:x' }))[1]).toEqual(given[3]);
    });

    it('prunes through a seq behind a marker holding its hash, once', async () => {
      const given = linked(undefined, [{}, {}, {}, {}, {}]);
      await current.store.append(given, seal);
      expect(await current.store.pruned()).toBeUndefined();
      const at = '2026-11-25T11:00:00.000Z';
      expect(await current.store.prune(3, at)).toEqual({ through: 3, hash: given[2]!.hash, at });
      expect(await current.store.pruned()).toEqual({ through: 3, hash: given[2]!.hash, at });
      expect((await current.store.range(0, 10)).map((entry) => entry.seq)).toEqual([4, 5]);
      expect(await current.store.count()).toBe(2);
      // Already pruned, or nothing that old: nothing changes.
      expect(await current.store.prune(2, '2026-11-25T12:00:00.000Z')).toBeUndefined();
      expect(await current.store.prune(3, '2026-11-25T12:00:00.000Z')).toBeUndefined();
      expect((await current.store.pruned())?.at).toBe(at);
      // The chain goes on after the head, not after the marker.
      const next = await current.store.append(linked(await current.store.head(), [{}]), seal);
      expect(next[0]).toMatchObject({ seq: 6, prevHash: given[4]!.hash });
    });

    it('keeps a note once and refuses the marker key as a note', async () => {
      expect(await current.store.note('legacy_imported')).toBeUndefined();
      expect(await current.store.addNote('legacy_imported', '{"lines":2}')).toBe(true);
      expect(await current.store.addNote('legacy_imported', '{"lines":3}')).toBe(false);
      expect(await current.store.note('legacy_imported')).toBe('{"lines":2}');
      expect(await rejection(() => current.store.addNote('pruned', '{}'))).toBeInstanceOf(Error);
      expect(await current.store.pruned()).toBeUndefined();
    });
  });
}
