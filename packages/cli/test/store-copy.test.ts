/**
 * `oxydra store copy`'s engine on real stores: a populated workspace copied into a fresh
 * PostgreSQL schema and from there into a fresh workspace, equal record by record and by the
 * contracts' reads, verified (counts, message counts, the audit chain); a copy killed with
 * SIGKILL after a committed batch, and a forced one into a workspace failing at a batch boundary
 * (its progress callback throws), each resumed by the same copy with no duplicate; a pruned
 * chain; a target holding other data refused, and cleared with force.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkCopy, copyStores, TargetNotEmptyError } from '@oxydra/kernel/stores';
import { openPostgresStores, type PostgresStores } from '@oxydra/store-postgres';
import {
  adminQuery,
  describePostgres,
  dropSchema,
  freshSchema,
  POSTGRES_URL,
} from '@oxydra/store-postgres/testing/postgres-helpers';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { TransferRecord } from '@oxydra/types';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AUDIT_ENTRIES, allRecords, openWorkspaceStores, populateWorkspace } from './store-copy-helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/store-copy-killed.mjs', import.meta.url));

describePostgres('oxydra store copy (the engine)', () => {
  let source: TempWorkspace;
  let back: TempWorkspace;
  let schema: string;
  let postgres: PostgresStores;

  beforeEach(async () => {
    source = tempWorkspace({ prefix: 'oxydra-copy-src-' });
    back = tempWorkspace({ prefix: 'oxydra-copy-back-' });
    await populateWorkspace(source.dir);
    schema = freshSchema();
    postgres = await openPostgresStores({ url: POSTGRES_URL, schema });
  });

  afterEach(async () => {
    await postgres?.close();
    await dropSchema(schema);
    source.cleanup();
    back.cleanup();
  });

  const checkOf = (from: Awaited<ReturnType<typeof openWorkspaceStores>>, to: PostgresStores) =>
    checkCopy({
      from: from.transfers,
      to: [to.transfer],
      sessions: { from: from.sessions, to: to.sessions },
      audit: { from: from.control.audit, to: to.control.audit },
    });

  it('copies a workspace into PostgreSQL and back, equal record by record, verified', async () => {
    const original = await openWorkspaceStores(source.dir);
    const restored = await openWorkspaceStores(back.dir);
    try {
      const progress: string[] = [];
      await copyStores({
        from: original.transfers,
        to: [postgres.transfer],
        batchSize: 100,
        onProgress: (p) => progress.push(`${p.table} ${p.copied}/${p.total}`),
      });
      expect(progress).toContain(`audit_log 100/${AUDIT_ENTRIES}`);
      const there = await checkOf(original, postgres);
      expect(there.problem).toBeUndefined();
      expect(there.audit.verified).toBe(true);
      expect(there.sessions.checked).toBe(9);
      const records = await allRecords(original.transfers);
      expect(records.audit_log).toHaveLength(AUDIT_ENTRIES);
      expect(await allRecords([postgres.transfer])).toEqual(records);

      await copyStores({ from: [postgres.transfer], to: restored.transfers, batchSize: 7 });
      const check = await checkCopy({
        from: [postgres.transfer],
        to: restored.transfers,
        sessions: { from: postgres.sessions, to: restored.sessions },
        audit: { from: postgres.control.audit, to: restored.control.audit },
      });
      expect(check.problem).toBeUndefined();
      expect(await allRecords(restored.transfers)).toEqual(records);

      // The contracts read the same on all three: sessions in order with their logs, notes, tokens...
      const sessions = await original.sessions.list({ limit: 100 });
      for (const store of [postgres.sessions, restored.sessions]) {
        expect(await store.list({ limit: 100 })).toEqual(sessions);
        for (const session of sessions) {
          expect(await store.loadEvents(session.id)).toEqual(await original.sessions.loadEvents(session.id));
          expect((await store.stamp(session.id))?.lastSeq).toBe(session.messageCount);
        }
        expect(await store.getState(sessions.find((s) => s.title === 'parent')!.id, 'summary')).toEqual({
          value: 'further',
          epoch: 2,
        });
      }
      expect(await postgres.notes.list()).toEqual(await original.notes.list());
      expect(await restored.notes.list()).toEqual(await original.notes.list());
      for (const control of [postgres.control, restored.control]) {
        expect(await control.tokens.list()).toEqual(await original.control.tokens.list());
        expect(await control.approvals.listAll()).toEqual(await original.control.approvals.listAll());
        expect(await control.schedules.history('sched-1', 10)).toEqual(
          await original.control.schedules.history('sched-1', 10),
        );
        expect(await control.audit.head()).toEqual(await original.control.audit.head());
        expect(await control.spend.caps('user:alice')).toEqual({ daily_usd: 5 });
        expect(await control.usage.report({ by: 'day' })).toEqual(
          await original.control.usage.report({ by: 'day' }),
        );
      }
      // The copied chain goes on: the next append on PostgreSQL links after the copied head.
      const head = (await postgres.control.audit.head())!;
      const [next] = await postgres.control.audit.append(
        [
          {
            ...(await postgres.control.audit.range(head.seq - 1, 1))[0]!,
            seq: head.seq + 1,
            prevHash: head.hash,
          },
        ],
        () => 'resealed',
      );
      expect(next!.seq).toBe(AUDIT_ENTRIES + 1);
    } finally {
      await original.close();
      await restored.close();
    }
  }, 60_000);

  it('resumes a copy killed after a committed batch, copying nothing twice', async () => {
    const killed = spawnSync(
      process.execPath,
      [CHILD, source.dir, POSTGRES_URL, schema, 'audit_log', '150'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [audit] = await adminQuery<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${schema}.audit_log`);
    expect(audit!.n).toBe(150);
    const [mark] = await adminQuery<{ copied: number; done: boolean }>(
      `SELECT copied::int, done FROM ${schema}.copy_progress WHERE tbl = 'audit_log'`,
    );
    expect(mark).toEqual({ copied: 150, done: false });

    const original = await openWorkspaceStores(source.dir);
    try {
      const written = await copyStores({ from: original.transfers, to: [postgres.transfer], batchSize: 50 });
      expect(written.find((t) => t.table === 'audit_log')).toEqual({
        table: 'audit_log',
        written: AUDIT_ENTRIES - 150,
        copied: AUDIT_ENTRIES,
      });
      expect(written.find((t) => t.table === 'sessions')?.written).toBe(0);
      const check = await checkOf(original, postgres);
      expect(check.problem).toBeUndefined();
      expect(await allRecords([postgres.transfer])).toEqual(await allRecords(original.transfers));
      // Run again: everything is copied, nothing is written.
      const again = await copyStores({ from: original.transfers, to: [postgres.transfer] });
      expect(again.every((t) => t.written === 0)).toBe(true);
    } finally {
      await original.close();
    }
  }, 60_000);

  it('resumes a forced copy into a workspace that failed at a batch boundary, and redoes a finished one', async () => {
    const original = await openWorkspaceStores(source.dir);
    const restored = await openWorkspaceStores(back.dir);
    try {
      await copyStores({ from: original.transfers, to: [postgres.transfer] });
      const failing = copyStores({
        from: [postgres.transfer],
        to: restored.transfers,
        batchSize: 30,
        force: true,
        onProgress: (p) => {
          if (p.table === 'conversation_events' && p.copied === 60) throw new Error('connection lost');
        },
      });
      await expect(failing).rejects.toThrow('connection lost');
      expect(await restored.transfers[0]!.count('conversation_events')).toBe(60);
      expect(await restored.transfers[1]!.count('audit_log')).toBe(0);

      // The same arguments again: --force does not delete a copy in progress from this source.
      const resumed = await copyStores({
        from: [postgres.transfer],
        to: restored.transfers,
        batchSize: 30,
        force: true,
      });
      expect(resumed.find((t) => t.table === 'conversation_events')?.written).toBe(40);
      expect(resumed.find((t) => t.table === 'sessions')?.written).toBe(0);
      const check = await checkCopy({
        from: [postgres.transfer],
        to: restored.transfers,
        sessions: { from: postgres.sessions, to: restored.sessions },
        audit: { from: postgres.control.audit, to: restored.control.audit },
      });
      expect(check.problem).toBeUndefined();
      expect(await allRecords(restored.transfers)).toEqual(await allRecords(original.transfers));
      // Forced again once finished, the copy is redone from the start.
      const redone = await copyStores({ from: [postgres.transfer], to: restored.transfers, force: true });
      expect(redone.find((t) => t.table === 'conversation_events')?.written).toBe(100);
      expect(await allRecords(restored.transfers)).toEqual(await allRecords(original.transfers));
    } finally {
      await original.close();
      await restored.close();
    }
  }, 60_000);

  it('copies a pruned audit chain, which verifies from its marker, and finds a lost record', async () => {
    const original = await openWorkspaceStores(source.dir);
    try {
      const marker = await original.control.audit.prune(100, new Date().toISOString());
      expect(marker?.through).toBe(100);
      await copyStores({ from: original.transfers, to: [postgres.transfer] });
      expect(await postgres.control.audit.pruned()).toEqual(marker);
      expect(await postgres.control.audit.head()).toEqual(await original.control.audit.head());
      const check = await checkOf(original, postgres);
      expect(check.problem).toBeUndefined();
      expect(check.audit.verified).toBe(true);

      await adminQuery(
        `DELETE FROM ${schema}.conversation_events WHERE seq = (SELECT max(seq) FROM ${schema}.conversation_events)`,
      );
      expect((await checkOf(original, postgres)).problem).toMatch(
        /^conversation_events has 100 records in the source but 99 in the target$/,
      );
    } finally {
      await original.close();
    }
  }, 60_000);

  it('writes a batch whole or not at all, with its mark, on both backends', async () => {
    const empty = await openWorkspaceStores(back.dir);
    try {
      const cases = [
        { transfer: postgres.transfer, table: 'kernel_state' },
        { transfer: empty.transfers[0]!, table: 'kernel_state' },
        { transfer: empty.transfers[1]!, table: 'budget_limits' },
      ];
      for (const { transfer, table } of cases) {
        const record: TransferRecord =
          table === 'kernel_state'
            ? { category: 'c', name: 'n', value: '1', version: 1, updated_at: '2026-11-25T00:00:00.000Z' }
            : { scope: 'user:alice', key: 'daily_usd', value: 2 };
        const mark = { table, source: 'test', last: [1], copied: 2, done: false };
        // The second record repeats the first's key: the insert fails, and the first goes with it.
        await expect(transfer.write(table, [record, record], mark)).rejects.toThrow();
        expect(await transfer.count(table)).toBe(0);
        expect(await transfer.marks()).toEqual([]);
        await transfer.write(table, [record], { ...mark, copied: 1 });
        expect(await transfer.count(table)).toBe(1);
        expect(await transfer.marks()).toEqual([{ ...mark, copied: 1 }]);
      }
    } finally {
      await empty.close();
    }
  });

  it('refuses a target holding other data, and clears it with force', async () => {
    const foreign = await postgres.sessions.create({ title: 'not from this workspace' });
    const original = await openWorkspaceStores(source.dir);
    const other = await openWorkspaceStores(back.dir);
    try {
      const copy = () => copyStores({ from: original.transfers, to: [postgres.transfer] });
      await expect(copy()).rejects.toThrow(TargetNotEmptyError);
      await expect(copy()).rejects.toThrow(/holds 1 records in sessions that no copy wrote/);
      expect(await postgres.control.audit.count()).toBe(0);

      await copyStores({ from: original.transfers, to: [postgres.transfer], force: true });
      expect(await postgres.sessions.get(foreign.id)).toBeUndefined();
      expect((await checkOf(original, postgres)).problem).toBeUndefined();

      // A copy from another source (an empty workspace) does not count as resuming this one.
      await expect(copyStores({ from: other.transfers, to: [postgres.transfer] })).rejects.toThrow(
        /holds a copy of sessions from libsql:.*oxydra-copy-src-/,
      );
      // Nor may PostgreSQL be copied into a workspace that holds data.
      await expect(copyStores({ from: [postgres.transfer], to: original.transfers })).rejects.toThrow(
        /holds 9 records in sessions that no copy wrote/,
      );
    } finally {
      await original.close();
      await other.close();
    }
  }, 60_000);
});
