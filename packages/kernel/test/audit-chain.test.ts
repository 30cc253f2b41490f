/**
 * The audit chain on a real kernel database: appends link and verify; each kind of tampering
 * (a changed, deleted, reordered, inserted or forged entry, a future timestamp, a removed or
 * rewritten tail) is named with its entry; the head recorded in a session; pruning leaves a verifiable marker; two openers of
 * one file extend one chain; the old audit.jsonl moves into the chain once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { SessionStateValue, SessionStore, StateWriteOptions } from '@oxydra/types';
import type { IHasher } from 'hash-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelAudit, legacyAuditPath, SESSION_HEAD_KEY } from '../src/services/audit/audit-log.js';
import { EntryHasher } from '../src/services/audit/entry.js';
import { type KernelDb, openKernelDb } from '../src/store/kernel-db.js';

const dirs: TempWorkspace[] = [];
const dbs: KernelDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) dir.cleanup();
});

function workspace(): string {
  const dir = tempWorkspace({ prefix: 'oxydra-audit-' });
  dirs.push(dir);
  return dir.dir;
}

async function openAudit(
  dir: string,
  maxEntries = 1000,
  now?: () => Date,
): Promise<{ db: KernelDb; audit: KernelAudit }> {
  const db = await openKernelDb(dir);
  dbs.push(db);
  const audit = await KernelAudit.open(dir, db, { maxEntries, ...(now ? { now } : {}) });
  return { db, audit };
}

async function chainOf(entries: number): Promise<{ dir: string; db: KernelDb; audit: KernelAudit }> {
  const dir = workspace();
  const { db, audit } = await openAudit(dir);
  for (let i = 1; i <= entries; i++) {
    await audit.record(
      `agent:a${i % 3}`,
      i % 2 ? 'tool_call' : 'tool_result',
      { tool: 'file_read', n: i },
      `file-${i}.txt`,
    );
  }
  return { dir, db, audit };
}

type Row = {
  seq: number;
  ts: string;
  actor: string;
  action_type: string;
  action: string;
  resource: string;
  prev_hash: string;
  hash: string;
};
const row = (db: KernelDb, seq: number) =>
  db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as Row;
const put = (db: KernelDb, r: Row) =>
  db
    .prepare(
      'INSERT OR REPLACE INTO audit_log (seq, ts, actor, action_type, action, resource, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)',
    )
    .run(r.seq, r.ts, r.actor, r.action_type, r.action, r.resource, r.prev_hash, r.hash);

describe('the audit entry hasher (BLAKE3)', () => {
  it('is ready without the event loop turning, and hashes as hash-wasm does (test vectors, long and multibyte input)', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('event loop'));
    const made = EntryHasher.create();
    await Promise.resolve();
    await Promise.resolve();
    const hasher = await made;
    order.push('hasher');
    // Made before the loop turned: hash-wasm's asynchronous set-up waited on it (and on other threads).
    expect(order).toEqual(['hasher']);
    const { createBLAKE3 } = createRequire(import.meta.url)('hash-wasm/dist/blake3.umd.min.js') as {
      createBLAKE3(): Promise<IHasher>;
    };
    const reference = await createBLAKE3();
    const blake3 = (text: string) => reference.init().update(text).digest('hex');
    type Fields = [number, string, string, string, string, string];
    const long = 'é🦀x'.repeat(12_000);
    const cases: Fields[] = [
      [1, '2026-01-01T00:00:00.000Z', 'cli', '{"data":{},"type":"t"}', '', 'genesis'],
      [2, 't', 'agent:a', long, 'r'.repeat(40_000), 'f'.repeat(64)],
    ];
    for (const fields of cases) {
      expect(hasher.hash(...fields)).toBe(blake3(JSON.stringify(['oxydra-audit-v1', ...fields])));
    }
    // BLAKE3's own vectors, through the same WebAssembly: "abc" and the empty input.
    expect(blake3('abc')).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
    expect(blake3('')).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  });
});

describe('the audit chain', () => {
  it('links each entry to the one before it, from "genesis", and verifies', async () => {
    const { db, audit } = await chainOf(5);
    expect(row(db, 1).prev_hash).toBe('genesis');
    for (let seq = 2; seq <= 5; seq++) expect(row(db, seq).prev_hash).toBe(row(db, seq - 1).hash);
    expect(row(db, 3).hash).toMatch(/^[0-9a-f]{64}$/);
    const report = await audit.chain.verify();
    expect(report).toMatchObject({ ok: true, entries: 5, first: 1, last: 5, problems: [] });
    expect((await audit.chain.list({ type: 'tool_call' })).map((e) => e.seq)).toEqual([1, 3, 5]);
    expect((await audit.chain.list({ agent: 'a1' })).map((e) => e.seq)).toEqual([1, 4]);
    expect((await audit.chain.list({ limit: 2 })).map((e) => e.seq)).toEqual([4, 5]);
  });

  it('names a changed entry', async () => {
    const { db, audit } = await chainOf(10);
    db.prepare('UPDATE audit_log SET resource = ? WHERE seq = 6').run('secret-plans.txt');
    const [first] = (await audit.chain.verify()).problems;
    expect(first).toMatchObject({ seq: 6, kind: 'changed' });
  });

  it('names a changed action even when the attacker recomputes that entry’s own hash', async () => {
    const { db, audit } = await chainOf(10);
    // A forged entry 6 with a valid self-hash still cannot make entry 7 link to it.
    const original = row(db, 6);
    const action = JSON.stringify({ data: { tool: 'shell_exec' }, type: 'tool_call' });
    const hasher = await EntryHasher.create();
    const hash = hasher.hash(6, original.ts, original.actor, action, original.resource, original.prev_hash);
    put(db, { ...original, action, action_type: 'tool_call', hash });
    const [first] = (await audit.chain.verify()).problems;
    expect(first).toMatchObject({ seq: 7, kind: 'forged_link' });
  });

  it('names a deleted entry', async () => {
    const { db, audit } = await chainOf(10);
    db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    const [first] = (await audit.chain.verify()).problems;
    expect(first).toMatchObject({ seq: 5, kind: 'deleted' });
    expect(first!.message).toContain('#4');
  });

  it('names deleted first entries when there is no pruning marker', async () => {
    const { db, audit } = await chainOf(10);
    db.prepare('DELETE FROM audit_log WHERE seq <= 3').run();
    expect((await audit.chain.verify()).problems[0]).toMatchObject({ seq: 4, kind: 'deleted' });
  });

  it('names reordered entries', async () => {
    const { db, audit } = await chainOf(10);
    const a = row(db, 4);
    const b = row(db, 5);
    put(db, { ...b, seq: 4 });
    put(db, { ...a, seq: 5 });
    const [first] = (await audit.chain.verify()).problems;
    expect(first).toMatchObject({ seq: 4, kind: 'reordered' });
    expect(first!.message).toContain('written as #5');
  });

  it('names an inserted entry (later entries renumbered)', async () => {
    const { db, audit } = await chainOf(8);
    const rows = db.prepare('SELECT * FROM audit_log WHERE seq >= 5 ORDER BY seq DESC').all() as Row[];
    for (const r of rows) db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(r.seq + 1, r.seq);
    const before = row(db, 4);
    put(db, { ...before, seq: 5, prev_hash: before.hash, resource: 'inserted.txt' });
    const problems = (await audit.chain.verify()).problems;
    expect(problems[0]).toMatchObject({ seq: 5, kind: 'changed' });
    expect(problems.find((p) => p.seq === 6)).toMatchObject({ kind: 'inserted' });
  });

  it('names a future timestamp', async () => {
    const { db, audit } = await chainOf(5);
    const r = row(db, 3);
    const ts = new Date(Date.now() + 86_400_000).toISOString();
    const hasher = await EntryHasher.create();
    // Even with a correct hash (an attacker's clock ahead), the date itself is flagged.
    const hash = hasher.hash(3, ts, r.actor, r.action, r.resource, r.prev_hash);
    put(db, { ...r, ts, hash });
    const kinds = (await audit.chain.verify()).problems.filter((p) => p.seq === 3).map((p) => p.kind);
    expect(kinds).toContain('future_timestamp');
  });

  it('detects a removed tail through the head recorded outside the chain', async () => {
    const { dir, db, audit } = await chainOf(10);
    await audit.anchor(undefined, undefined, { flush: true });
    expect(JSON.parse(readFileSync(join(dir, '.oxydra', 'audit-head.json'), 'utf8')).seq).toBe(10);
    db.prepare('DELETE FROM audit_log WHERE seq > 7').run();
    const report = await audit.chain.verify(await audit.anchors());
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ seq: 10, kind: 'missing_tail' });
    expect(report.problems[0]!.message).toContain('ends at #7');
  });

  it('records the head in the session, relaxed, reading its epoch only when another writer moved it', async () => {
    const { audit } = await chainOf(3);
    const stored = new Map<string, SessionStateValue>();
    const calls: string[] = [];
    const sessions = {
      getState: async (_id: string, key: string) => {
        calls.push('read');
        return stored.get(key);
      },
      setState: async (
        _id: string,
        key: string,
        value: string,
        epoch: number | null,
        options?: StateWriteOptions,
      ) => {
        calls.push(options?.relaxed ? 'write relaxed' : 'write');
        if ((stored.get(key)?.epoch ?? null) !== epoch) return false;
        stored.set(key, { value, epoch: (epoch ?? 0) + 1 });
        return true;
      },
    } as unknown as SessionStore;
    const head = () => JSON.parse(stored.get(SESSION_HEAD_KEY)!.value) as { seq: number };
    await audit.anchor(sessions, 's1');
    await audit.record('agent:x', 'tool_call', { n: 4 });
    await audit.anchor(sessions, 's1');
    expect(calls).toEqual(['read', 'write relaxed', 'write relaxed']);
    expect(head().seq).toBe(4);
    // Another process wrote the session's head since: read, then written over.
    stored.set(SESSION_HEAD_KEY, { value: '{"seq":4,"hash":"x"}', epoch: 7 });
    await audit.record('agent:x', 'tool_call', { n: 5 });
    calls.length = 0;
    await audit.anchor(sessions, 's1', { flush: true });
    expect(calls).toEqual(['write', 'read', 'write']);
    expect(stored.get(SESSION_HEAD_KEY)).toMatchObject({ epoch: 8 });
    expect(head().seq).toBe(5);
  });

  it('detects a rewritten chain at the recorded head', async () => {
    const { db, audit } = await chainOf(6);
    await audit.anchor(undefined, undefined, { flush: true });
    // Rebuild the whole chain from scratch with other content: every link is consistent.
    db.prepare('DELETE FROM audit_log').run();
    for (let i = 1; i <= 6; i++) await audit.record('agent:x', 'tool_call', { tool: 'innocent', n: i });
    const report = await audit.chain.verify(await audit.anchors());
    expect(report.problems.map((p) => p.kind)).toEqual(['rewritten']);
    expect(report.problems[0]!.seq).toBe(6);
  });

  it('prunes beyond max_entries behind a "pruned" marker and still verifies', async () => {
    const dir = workspace();
    const { db, audit } = await openAudit(dir, 5);
    for (let i = 1; i <= 12; i++) await audit.record('agent:a', 'tool_call', { n: i });
    expect(await audit.chain.count()).toBe(5);
    const marker = (await audit.chain.pruned())!;
    expect(marker.through).toBe(7);
    expect(row(db, 8).prev_hash).toBe(marker.hash);
    expect(await audit.chain.verify()).toMatchObject({ ok: true, first: 8, last: 12 });
    db.prepare('DELETE FROM audit_log WHERE seq = 8').run();
    expect((await audit.chain.verify()).problems[0]).toMatchObject({ seq: 9, kind: 'deleted' });
  });

  it('lets two openers of one workspace extend one chain', async () => {
    const dir = workspace();
    const one = await openAudit(dir);
    const two = await openAudit(dir);
    for (let i = 0; i < 20; i++) (i % 2 ? one : two).audit.record('agent:x', 'tool_call', { i });
    expect(await one.audit.chain.verify()).toMatchObject({ ok: true, entries: 20 });
  });

  it('moves the old audit.jsonl into the chain once', async () => {
    const dir = workspace();
    await openAudit(dir).then(({ db }) => db.close());
    writeFileSync(
      legacyAuditPath(dir),
      `${JSON.stringify({ type: 'approval', at: '2026-01-01T00:00:00.000Z', tool: 'shell_exec', summary: 'ls', approved: true, by: 'user' })}\nnot json\n`,
      { mode: 0o600 }, // as the old writer made it: only this user's own log is imported
    );
    const { audit } = await openAudit(dir);
    const entries = await audit.chain.list();
    expect(entries.map((e) => e.action.type)).toEqual(['legacy_approval', 'legacy_unparsable']);
    expect(entries[0]!.action.data).toMatchObject({ tool: 'shell_exec', at: '2026-01-01T00:00:00.000Z' });
    expect(existsSync(legacyAuditPath(dir))).toBe(false);
    expect(existsSync(`${legacyAuditPath(dir)}.imported`)).toBe(true);
    const again = await openAudit(dir);
    expect(await again.audit.chain.count()).toBe(2);
  });
});

describe('audit entry timestamps', () => {
  it("each entry carries its clock's time to the millisecond, including entries stamped in the same one", async () => {
    const times = [0, 0, 1, 1, 1000, 0].map((ms) => Date.UTC(2026, 10, 29, 9, 0, 0, 5) + ms);
    let call = 0;
    const { audit } = await openAudit(
      workspace(),
      1000,
      () => new Date(times[Math.min(call++, times.length - 1)]!),
    );
    const stamped: string[] = [];
    for (let i = 0; i < times.length; i++) stamped.push((await audit.record('cli', 'note', { i })).ts);
    expect(stamped).toEqual(times.map((ms) => new Date(ms).toISOString()));
    expect(await audit.chain.verify()).toMatchObject({ ok: true });
  });
});
