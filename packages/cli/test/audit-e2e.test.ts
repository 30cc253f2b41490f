/**
 * The audit chain through the real binary: a run's tool calls, outcomes and lifecycle are
 * entries; `oxydra audit verify` passes on the real chain and, after each kind of tampering
 * done to the database file behind its back (edit, delete, reorder, insert, truncate), exits 1
 * naming the first broken entry and why; the run's outcome line carries the head.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEndEvent } from '@oxydra/types';
import Database from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;
let pristine: string;
let db: InstanceType<typeof Database>;
let head: { seq: number; hash: string };

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'a.txt', content: 'one' } }] } },
    { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'a.txt' } }] } },
    { reply: { text: 'done' }, times: 'always' },
  ]);
  const run = await env.run(['run', '--json', 'write and read a file']);
  expect(run.status).toBe(0);
  const outcome = run.events.at(-1) as RunEndEvent;
  head = outcome.auditHead!;
  // A second run (a second session, a second recorded head) so the chain has a middle.
  await env.run(['run', '--json', 'again']);
  pristine = mkdtempSync(join(tmpdir(), 'oxydra-audit-pristine-'));
  // Fold the WAL into the file so one file copy is the whole chain.
  db = new Database(dbPath());
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  copyFileSync(dbPath(), join(pristine, 'kernel.db'));
  db.exec(`ATTACH DATABASE '${join(pristine, 'kernel.db')}' AS pristine`);
}, 60_000);

afterAll(async () => {
  db.close();
  await env.close();
  rmSync(pristine, { recursive: true, force: true });
});

function dbPath(): string {
  return join(env.workspace, '.oxydra', 'kernel.db');
}

/** Puts the untouched chain back, then applies one tampering to the database directly. */
function tamper(sql: (db: InstanceType<typeof Database>) => void): void {
  db.exec('DELETE FROM main.audit_log; INSERT INTO main.audit_log SELECT * FROM pristine.audit_log');
  sql(db);
}

async function verify(): Promise<{ status: number | null; stdout: string }> {
  const run = await env.run(['audit', 'verify']);
  return { status: run.status, stdout: run.stdout };
}

describe('oxydra audit', () => {
  it("lists the run's tool calls, results, spawn and exit, and filters them", async () => {
    tamper(() => {});
    const all = JSON.parse((await env.run(['audit', 'list', '--json'])).stdout) as {
      seq: number;
      actor: string;
      action: { type: string; data: Record<string, unknown> };
      resource: string;
    }[];
    const types = all.map((entry) => entry.action.type);
    expect(types.slice(0, 6)).toEqual([
      'agent_spawn',
      'tool_call',
      'tool_result',
      'tool_call',
      'tool_result',
      'agent_exit',
    ]);
    expect(all[1]).toMatchObject({ resource: 'file_write', actor: expect.stringMatching(/^agent:/) });
    const calls = JSON.parse(
      (await env.run(['audit', 'list', '--json', '--type', 'tool_call'])).stdout,
    ) as unknown[];
    expect(calls).toHaveLength(2);
    const text = (await env.run(['audit', 'list', '--since', '1h'])).stdout;
    expect(text).toMatch(/^#2 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}agent:\S+ {2}tool_call {2}file_write/m);
    const bad = await env.run(['audit', 'list', '--since', 'yesterday-ish']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--since');
  });

  it('verifies the real chain and the head the run reported', async () => {
    tamper(() => {});
    const ok = await env.run(['audit', 'verify', '--head', `${head.seq}:${head.hash}`]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^audit chain OK: \d+ entries/);
    // The outcome is recorded before the agent's exit entry (#6), which follows it.
    expect(head.seq).toBe(5);
  });

  it('names an edited entry', async () => {
    tamper((db) => db.prepare("UPDATE audit_log SET resource = 'other.txt' WHERE seq = 2").run());
    const result = await verify();
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^audit chain BROKEN at entry #2 \(changed\)/);
  });

  it('names a deleted entry', async () => {
    tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq = 3').run());
    expect((await verify()).stdout).toMatch(/BROKEN at entry #4 \(deleted\): entry #3 is missing/);
  });

  it('names reordered entries', async () => {
    tamper((db) => {
      const rows = db
        .prepare('SELECT * FROM main.audit_log WHERE seq IN (4, 5) ORDER BY seq')
        .raw(true)
        .all() as unknown[][];
      db.prepare('DELETE FROM audit_log WHERE seq IN (4, 5)').run();
      const insert = db.prepare('INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      insert.run(4, ...rows[1]!.slice(1));
      insert.run(5, ...rows[0]!.slice(1));
    });
    expect((await verify()).stdout).toMatch(/BROKEN at entry #4 \(reordered\)/);
  });

  it('names an inserted entry', async () => {
    tamper((db) => {
      const last = db
        .prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
        .raw(true)
        .get() as [number, string];
      db.prepare('INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        last[0] + 1,
        new Date().toISOString(),
        'agent:forged',
        'tool_call',
        '{"data":{"tool":"shell_exec"},"type":"tool_call"}',
        'shell_exec',
        last[1],
        'f'.repeat(64),
      );
    });
    const result = await verify();
    expect(result.stdout).toMatch(/BROKEN at entry #\d+ \(changed\)/);
  });

  it('names a truncated tail from the heads recorded in the sessions and the head file', async () => {
    tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq > 4').run());
    const result = await verify();
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\(missing_tail\): .* recorded entry #\d+, but the chain ends at #4/);
  });

  it('exports the chain as JSON lines', async () => {
    tamper(() => {});
    const lines = (await env.run(['audit', 'export'])).stdout.trim().split('\n');
    const first = JSON.parse(lines[0]!) as { seq: number; prev_hash: string; hash: string };
    expect(first).toMatchObject({ seq: 1, prev_hash: 'genesis' });
    expect(JSON.parse(lines[1]!).prev_hash).toBe(first.hash);
  });
});
