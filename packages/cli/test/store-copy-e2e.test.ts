/**
 * `oxydra store copy` through the real binary: a populated workspace copied into PostgreSQL
 * (progress on stderr, the JSON summary on stdout), run again (nothing written), refused when
 * copied back over its own data, copied back into a fresh workspace where `oxydra audit verify`
 * passes; usage mistakes exit 2 and a server that does not answer is named without its password.
 */
import { closeSync, existsSync, lstatSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminQuery,
  describePostgres,
  dropSchema,
  freshSchema,
  POSTGRES_URL,
} from '@oxydra/store-postgres/testing/postgres-helpers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CliSandbox } from './helpers.js';
import { AUDIT_ENTRIES, populateWorkspace } from './store-copy-helpers.js';

interface Summary {
  ok: boolean;
  copied: { table: string; written: number; copied: number }[];
  tables: { table: string; source: number; target: number }[];
  audit: { verified: boolean; targetHead: string };
}

describePostgres('oxydra store copy (the binary)', () => {
  let sandbox: CliSandbox;
  let fresh: CliSandbox;
  let schema: string;

  beforeEach(() => {
    sandbox = new CliSandbox();
    // The fresh workspace names the server as a person would: [store]'s variable, `--from postgres`.
    fresh = new CliSandbox({ OXYDRA_STORE_URL: POSTGRES_URL });
    schema = freshSchema();
  });

  afterEach(async () => {
    sandbox.cleanup();
    fresh.cleanup();
    await dropSchema(schema);
  });

  it("refuses a source whose memory file is not this user's, leaving it where it is, or is damaged", async () => {
    // Written by this test process under another HOME, and not adopted: not the sandbox user's.
    await populateWorkspace(sandbox.workspace);
    const memory = join(sandbox.workspace, '.oxydra', 'memory.db');
    const schemaMade = async () =>
      (await adminQuery('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length > 0;
    const unrecorded = sandbox.run('store', 'copy', '--to', POSTGRES_URL, '--schema', schema);
    // Before, it was set aside, the fresh empty file copied instead, and the copy said it was done (0).
    expect(unrecorded.status, unrecorded.stdout).toBe(2);
    expect(unrecorded.stderr).toMatch(
      /^error: cannot copy from .*memory\.db: Oxydra has no record of creating it for you, so nothing in it is used\n {2}hint: .*--adopt-state/,
    );
    expect(existsSync(memory)).toBe(true);
    expect(await schemaMade()).toBe(false);
    // The user's own file, damaged (its header overwritten): one line saying so, not "a bug in Oxydra".
    expect(sandbox.run('trust', '--adopt-state').status).toBe(0);
    for (const companion of ['-wal', '-shm']) rmSync(`${memory}${companion}`, { force: true });
    const file = openSync(memory, 'r+');
    writeSync(file, Buffer.alloc(100, 0xff), 0, 100, 0);
    closeSync(file);
    const damaged = sandbox.run('store', 'copy', '--to', POSTGRES_URL, '--schema', schema);
    // Its id cannot be read, so it cannot be told from a planted file: refused as not usable,
    // with a hint that fits a damaged file (a backup), not adoption.
    expect(damaged.status, damaged.stderr).toBe(2);
    expect(damaged.stderr).toMatch(
      /^error: cannot copy from .*memory\.db: it cannot be read as a database \(file is not a database\), so nothing in it is used\n {2}hint: .*backup.*\n$/,
    );
    expect(await schemaMade()).toBe(false);
    // A link planted in its place: refused, and left as it is.
    rmSync(memory);
    symlinkSync('/etc/hostname', memory);
    const link = sandbox.run('store', 'copy', '--to', POSTGRES_URL, '--schema', schema);
    expect(link.status).toBe(2);
    expect(link.stderr).toMatch(/^error: cannot copy from .*memory\.db: it is a symbolic link/);
    expect(lstatSync(memory).isSymbolicLink()).toBe(true);
    expect(await schemaMade()).toBe(false);
  });

  it('copies a workspace into PostgreSQL and into a fresh workspace, verified, and refuses what it must', async () => {
    await populateWorkspace(sandbox.workspace);
    // Written by this test process (another HOME): recorded as the sandbox user's, as a person would.
    const adopted = sandbox.run('trust', '--adopt-state');
    expect(adopted.status, adopted.stderr).toBe(0);
    const to = ['store', 'copy', '--to', POSTGRES_URL, '--schema', schema, '--batch-size', '100', '--json'];
    const first = sandbox.run(...to);
    expect(first.status, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as Summary;
    expect(summary.ok).toBe(true);
    expect(summary.audit.verified).toBe(true);
    expect(summary.tables.find((t) => t.table === 'audit_log')).toEqual({
      table: 'audit_log',
      source: AUDIT_ENTRIES,
      target: AUDIT_ENTRIES,
    });
    expect(first.stderr).toContain(`copying audit_log: ${AUDIT_ENTRIES}/${AUDIT_ENTRIES}`);
    // The copied notes and conversations are indexed in PostgreSQL's search index (not copied).
    expect((JSON.parse(first.stdout) as { indexed?: unknown }).indexed).toEqual({ notes: 5, sessions: 9 });
    const indexed = await adminQuery<{ source_type: string; n: string }>(
      `SELECT source_type, count(DISTINCT source_id) AS n FROM ${schema}.search_chunks GROUP BY source_type ORDER BY 1`,
    );
    // Nine sessions, one of them empty (nothing to index): eight conversations have chunks.
    expect(indexed.map((r) => [r.source_type, Number(r.n)])).toEqual([
      ['conversation', 8],
      ['note', 5],
    ]);
    // Indexed as one bulk load, which leaves the model's HNSW index built and valid behind it.
    const hnsw = await adminQuery<{ valid: boolean }>(
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname LIKE 'search_chunks_hnswh_%'`,
      [schema],
    );
    expect(hnsw).toEqual([{ valid: true }]);

    const again = sandbox.run(...to);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Summary).copied.every((t) => t.written === 0)).toBe(true);

    // A target changed behind the copy's back fails the check: exit 1, one line naming it.
    const [entry] = await adminQuery<{ actor: string }>(
      `SELECT actor FROM ${schema}.audit_log WHERE seq = 5`,
    );
    await adminQuery(`UPDATE ${schema}.audit_log SET actor = 'someone else' WHERE seq = 5`);
    const tampered = sandbox.run(...to);
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toMatch(
      /\nerror: the copy differs from its source: the audit chain does not verify on the target: entry #5 was changed after it was written[^\n]*\n {2}hint: [^\n]+--force\n$/,
    );
    await adminQuery(`UPDATE ${schema}.audit_log SET actor = $1 WHERE seq = 5`, [entry!.actor]);

    const back = (from: string) => ['store', 'copy', '--from', from, '--schema', schema, '--to', 'libsql'];
    const refused = sandbox.run(...back(POSTGRES_URL));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^error: the target libsql:.*memory\.db holds 9 records in sessions that no copy wrote\n {2}hint: .*--force/,
    );
    expect(refused.stderr).not.toContain('    at ');

    const restored = fresh.run(...back('postgres'));
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(
      `audit chain: head ${summary.audit.targetHead}, verifies on the target`,
    );
    expect(restored.stdout).toContain('search index: built for 5 notes and 9 sessions');
    // The copied notes and conversations are searchable there (the index is built, not copied).
    const notes = fresh.run('memory', 'search', 'changed');
    expect(notes.stdout, notes.stderr).toContain('note 2, changed');
    const conversation = fresh.run('memory', 'search', 'answer 5');
    expect(conversation.stdout, conversation.stderr).toContain('answer 5');
    const verify = fresh.run('audit', 'verify');
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain(String(AUDIT_ENTRIES));
  }, 90_000);

  it('exits 2 on a usage mistake and never shows the password', () => {
    for (const args of [
      [],
      ['--to', 'libsql'],
      ['--to', 'mysql://db'],
      ['--to', 'postgres://[bad'],
      ['--to', POSTGRES_URL, '--batch-size', '0'],
      ['--to', POSTGRES_URL, '--schema', 'No-Such'],
      ['--from', POSTGRES_URL, '--schema', schema, '--to', 'libsql'],
    ]) {
      const result = sandbox.run('store', 'copy', ...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: .+\n( {2}hint: .+\n)?$/);
    }
    // A schema that holds no stores is not a source.
    const nothing = sandbox.run(
      'store',
      'copy',
      '--from',
      POSTGRES_URL,
      '--schema',
      schema,
      '--to',
      'libsql',
    );
    expect(nothing.stderr).toContain(
      `cannot copy from postgres@127.0.0.1:5432/test: PostgreSQL schema ${schema} is at version 0`,
    );
    // A password on the command line is refused before anything connects (ps shows it to all).
    const inline = sandbox.run('store', 'copy', '--to', 'postgres://postgres:s3cret@127.0.0.1:1/test');
    expect(inline.status).toBe(2);
    expect(inline.stderr).toMatch(
      /^error: --to holds a password, which must not be on a command line\n {2}hint: .*PGPASSWORD/,
    );
    expect(inline.stderr).not.toContain('s3cret');
    // As the driver's `password` parameter too (it reads one there).
    const param = sandbox.run(
      'store',
      'copy',
      '--to',
      'postgres://postgres@127.0.0.1:1/test?password=s3cret',
    );
    expect(param.status).toBe(2);
    expect(param.stderr).toMatch(/^error: --to holds a password, which must not be on a command line\n/);
    expect(param.stderr).not.toContain('s3cret');
    // A libpq keyword string is not taken, and its password never repeated (the refusal once
    // quoted everything after the last @, here all of it); a plain word (a typo) still is.
    const keywords = sandbox.run('store', 'copy', '--to', 'host=127.0.0.1 password=hunter2');
    expect(keywords.status).toBe(2);
    expect(keywords.stderr).toMatch(/^error: --to must be a postgres:\/\/ URL or libsql\n/);
    expect(keywords.stderr).not.toContain('hunter2');
    expect(sandbox.run('store', 'copy', '--to', 'libsq').stderr).toContain('got "libsq"');
    // `postgres` with no server configured says where the URL goes.
    const unset = sandbox.run('store', 'copy', '--to', 'postgres');
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain('OXYDRA_STORE_URL is not set');
    sandbox.env.PGPASSWORD = 's3cret';
    const down = sandbox.run('store', 'copy', '--to', 'postgres://postgres@127.0.0.1:1/test');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^error: cannot use PostgreSQL at postgres@127\.0\.0\.1:1\/test: /);
    expect(down.stderr).not.toContain('s3cret');
  });
});
