/**
 * The audit chain's group commit (store/write-batch.ts): entries of one tick go in one
 * transaction and still form one valid chain, also when another opener of the file appends in
 * between; an entry whose commit a caller awaited (anchor) survives the process being killed
 * with SIGKILL right after; a turn's anchor is its own chain's newest commit, not held up by the
 * batch's other writes; pruning in batches keeps the marker verifiable.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ControlStoreGroup } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { KernelAudit } from '../src/services/audit/audit-log.js';
import type { AuditEntry } from '../src/services/audit/entry.js';
import { ControlBatch } from '../src/services/control-batch.js';
import type { KernelDb } from '../src/store/kernel-db.js';
import { asyncControlStores } from '../src/store/libsql/async-view.js';
import { scratchKernelDbs } from './kernel-db-scratch.js';

const scratch = scratchKernelDbs('oxydra-audit-group-');
const workspace = () => scratch.folder();

async function openAudit(dir: string, maxEntries = 1000): Promise<{ db: KernelDb; audit: KernelAudit }> {
  const db = await scratch.open(dir);
  return { db, audit: await KernelAudit.open(dir, db, { maxEntries }) };
}

const rows = (db: KernelDb) =>
  Number((db.prepare('SELECT COUNT(*) FROM audit_log').raw(true).get() as [number])[0]);

describe('audit group commit', () => {
  it('commits the grouped entries of one tick together, as one valid chain', async () => {
    const dir = workspace();
    const { db, audit } = await openAudit(dir);
    for (let i = 0; i < 50; i++) audit.record(`agent:a${i}`, 'agent_spawn', { i }, '', { grouped: true });
    // Not yet in the table: they wait for the end of the tick.
    expect(rows(db)).toBe(0);
    await audit.chain.committed();
    expect(rows(db)).toBe(50);
    expect(await audit.chain.verify()).toMatchObject({ ok: true, entries: 50 });
  });

  it('keeps append order when an immediate entry follows grouped ones', async () => {
    const dir = workspace();
    const { audit } = await openAudit(dir);
    audit.record('agent:a', 'agent_spawn', {}, '', { grouped: true });
    const approval = await audit.record('user', 'approval', { tool: 'shell_exec' });
    // The approval is committed before record() returns, after the grouped entry before it.
    expect(approval.seq).toBe(2);
    expect((await audit.chain.list()).map((entry) => entry.action.type)).toEqual(['agent_spawn', 'approval']);
    expect(await audit.chain.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('links grouped entries after what another opener appended in the same tick', async () => {
    const dir = workspace();
    const one = await openAudit(dir);
    const two = await openAudit(dir);
    const grouped = one.audit.record('agent:a', 'agent_exit', { n: 1 }, '', { grouped: true });
    one.audit.record('agent:a', 'agent_exit', { n: 2 }, '', { grouped: true });
    two.audit.record('agent:b', 'tool_call', { n: 3 });
    await one.audit.chain.committed();
    // Hashed as seq 1 first, relinked after the other opener's entry when committed.
    expect(grouped.seq).toBe(2);
    expect(await one.audit.chain.verify()).toMatchObject({ ok: true, entries: 3 });
  });

  it("anchors a turn at its own chain's newest commit, without reading the head back", async () => {
    const dir = workspace();
    const db = await scratch.open(dir);
    const stores = asyncControlStores(db);
    const one = { audit: await KernelAudit.open(dir, db, { maxEntries: 1000, stores }) };
    const two = await openAudit(dir);
    one.audit.record('agent:a', 'agent_spawn', {}, '', { grouped: true });
    const last = one.audit.record('agent:a', 'tool_result', {}, '', { grouped: true }) as AuditEntry;
    expect(await one.audit.anchor()).toEqual({ seq: 2, hash: last.hash });
    // Another opener's entry is newer; the anchor still hands out this chain's own committed
    // head (a store read would say seq 3), which is on disk and verifies as an anchor.
    await two.audit.record('agent:b', 'tool_call', {});
    const head = await one.audit.anchor();
    expect(head?.seq).toBe(2);
    expect(await one.audit.chain.head()).toMatchObject({ seq: 3 });
    expect(await two.audit.chain.verify([{ ...head!, source: 'the anchor' }])).toMatchObject({ ok: true });
    // The batch's other writes (a turn's spend settle) do not hold the anchor up.
    let open = () => {};
    const held = new Promise<void>((resolve) => {
      open = resolve;
    });
    const batch = ControlBatch.of(stores);
    batch.add({ write: () => held });
    expect(await one.audit.anchor()).toEqual(head);
    open();
    await batch.committed();
    // A fresh opener has committed nothing: it reads the stored head.
    const three = await openAudit(dir);
    expect(await three.audit.anchor()).toMatchObject({ seq: 3 });
  });

  it("anchors once its own entry's commit ends, not behind a commit the batch started after it", async () => {
    const dir = workspace();
    const db = await scratch.open(dir);
    const inner = asyncControlStores(db);
    // Each commit of the group (a transaction, or an append alone in its own) is held after it
    // ran until its gate opens: the turn's first audit entry is in one, and the spend settle
    // queued meanwhile in the next, chained behind it.
    const gates: Array<() => void> = [];
    const hold = async <T>(commit: Promise<T>): Promise<T> => {
      const result = await commit;
      await new Promise<void>((resolve) => gates.push(resolve));
      return result;
    };
    const audit = new Proxy(inner.audit, {
      get: (target, key) =>
        key === 'append'
          ? (...args: Parameters<typeof target.append>) => hold(target.append(...args))
          : Reflect.get(target, key),
    });
    const stores: ControlStoreGroup = {
      ...inner,
      audit,
      transaction: (fn) => hold(inner.transaction(fn)),
    };
    const kernelAudit = await KernelAudit.open(dir, db, { maxEntries: 1000, stores });
    const spawned = kernelAudit.record('agent:a', 'agent_spawn', {}, '', { grouped: true }) as AuditEntry;
    const batch = ControlBatch.of(stores);
    await pollUntil(() => gates.length === 1, 'the entry commit held', { intervalMs: 1 });
    let settled = false;
    batch.add({
      write: async () => {
        settled = true;
      },
    });
    const anchored = kernelAudit.anchor();
    // The settle's commit starts once the entry's ends; the anchor waits for the entry's only.
    gates[0]!();
    expect(await anchored).toEqual({ seq: 1, hash: spawned.hash });
    await pollUntil(() => gates.length === 2, 'the settle commit held', { intervalMs: 1 });
    expect(settled).toBe(true);
    gates[1]!();
    await batch.committed();
    expect(await kernelAudit.chain.verify()).toMatchObject({ ok: true, entries: 1 });
  });

  it("commits entries alone in the append's own transaction, and beside other writes in the group's", async () => {
    const dir = workspace();
    const db = await scratch.open(dir);
    const inner = asyncControlStores(db);
    let transactions = 0;
    const stores: ControlStoreGroup = {
      ...inner,
      transaction: (fn) => {
        transactions++;
        return inner.transaction(fn);
      },
    };
    const audit = await KernelAudit.open(dir, db, { maxEntries: 1000, stores });
    transactions = 0;
    await audit.record('agent:a', 'tool_call', {});
    expect(transactions).toBe(0);
    audit.record('agent:a', 'agent_exit', {}, '', { grouped: true });
    ControlBatch.of(stores).add({ write: async () => {} });
    await audit.chain.committed();
    expect(transactions).toBe(1);
    expect(await audit.chain.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('prunes in batches behind a marker that still verifies', async () => {
    const dir = workspace();
    const { audit } = await openAudit(dir, 200);
    for (let i = 0; i < 450; i++) audit.record('agent:a', 'tool_result', { i }, '', { grouped: i % 3 !== 0 });
    await audit.chain.committed();
    const count = await audit.chain.count();
    expect(count).toBeGreaterThanOrEqual(200);
    expect(count).toBeLessThanOrEqual(202);
    expect(await audit.chain.verify()).toMatchObject({ ok: true, last: 450 });
  });

  it('keeps an anchored entry after the process is killed with SIGKILL', async () => {
    const dir = workspace();
    const dist = fileURLToPath(new URL('../dist/services/audit/audit-log.js', import.meta.url));
    const db = fileURLToPath(new URL('../dist/store/kernel-db.js', import.meta.url));
    // The child appends grouped entries, anchors (awaits their commit), says so and hangs with
    // more grouped entries waiting: those were never reported committed and may be lost.
    const script = `
      const { KernelAudit } = await import(${JSON.stringify(dist)});
      const { openKernelDb } = await import(${JSON.stringify(db)});
      const audit = await KernelAudit.open(process.argv[1], await openKernelDb(process.argv[1]), { maxEntries: 1000 });
      for (let i = 0; i < 20; i++) audit.record('agent:a', 'agent_exit', { i }, '', { grouped: true });
      const head = await audit.anchor();
      audit.record('agent:a', 'agent_exit', { late: true }, '', { grouped: true });
      process.stdout.write(JSON.stringify(head) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const head = JSON.parse(line) as { seq: number; hash: string };
    expect(head.seq).toBe(20);
    const { audit } = await openAudit(dir);
    expect(await audit.chain.count()).toBeGreaterThanOrEqual(20);
    expect(await audit.chain.verify([{ ...head, source: 'the child' }])).toMatchObject({ ok: true });
  });
});
