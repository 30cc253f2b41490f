import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { checkSqlHome, NOT_YET_MOVED, sqlIn } from '../check-sql-home.mjs';

const script = fileURLToPath(new URL('../check-sql-home.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let scratch: TempWorkspace;
let root: string | undefined;
afterEach(() => {
  if (root) scratch.cleanup();
  root = undefined;
});

function write(path: string, text: string) {
  mkdirSync(dirname(join(root!, path)), { recursive: true });
  writeFileSync(join(root!, path), text);
}

/** A tree holding every not-yet-moved file with SQL in it, so only the file under test decides. */
function treeWithAllowList() {
  scratch = tempWorkspace({ prefix: 'sql-home-' });
  root = scratch.dir;
  for (const listed of NOT_YET_MOVED as string[]) write(listed, "db.prepare('SELECT 1 FROM t');\n");
}

const run = () => spawnSync(process.execPath, [script, '--root', root!], { encoding: 'utf8' });

/** Writes `text` to `path` in the tree; the check must then fail naming that file. Its stderr. */
function failsNaming(path: string, text: string): string {
  write(path, text);
  const result = run();
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(path);
  return result.stderr;
}

describe('SQL home check', () => {
  it('passes on this repository', () => {
    expect(execFileSync(process.execPath, [script, '--root', repoRoot], { encoding: 'utf8' })).toContain(
      'passed',
    );
  });

  it('finds database calls and statements in code, not in comments or tool calls', () => {
    expect(sqlIn('await db.execute({ sql: x });')).toMatch(/database call/);
    expect(sqlIn('this.#db.prepare(x)')).toMatch(/database call/);
    expect(sqlIn('const q = `UPDATE kernel_state SET value = ?`;')).toMatch(/UPDATE kernel_state SET/);
    expect(sqlIn("run('DELETE FROM notes WHERE id = ?')")).toMatch(/DELETE FROM notes/);
    expect(sqlIn('// SELECT id FROM notes\n/* INSERT INTO x */\nawait tool.execute(args);')).toBeUndefined();
    expect(sqlIn('const m = /x/.exec(text);')).toBeUndefined();
  });

  it("finds PostgreSQL's LISTEN/NOTIFY and any .query( given SQL text, not prose or request.query", () => {
    expect(sqlIn("await publisher.query('SELECT pg_notify($1, $2)', [channel, payload]);")).toMatch(
      /database call/,
    );
    expect(sqlIn("const sql = 'SELECT pg_notify($1, $2)';")).toMatch(/pg_notify\(/);
    expect(sqlIn(['return `LISTEN "$', '{channel}"`;'].join(''))).toMatch(/LISTEN "/);
    expect(sqlIn("await c.query<{ server_encoding: string }>('SHOW server_encoding');")).toMatch(/SHOW/);
    expect(sqlIn('await pool.query(statement);')).toMatch(/database call pool\.query\(/);
    expect(
      sqlIn("fix: 'check that the store user may LISTEN and NOTIFY (and that no pooler sits between)'"),
    ).toBeUndefined();
    expect(sqlIn('detail: `event bus (LISTEN/NOTIFY on the store) answers`')).toBeUndefined();
    expect(sqlIn('const query = schema.safeParse(request.query);')).toBeUndefined();
    expect(sqlIn("await search.query('select the newest note');")).toBeUndefined();
  });

  it('fails on SQL in a service and passes it in a store module', () => {
    treeWithAllowList();
    write('packages/kernel/src/store/libsql/tokens.ts', "db.prepare('SELECT id FROM gateway_tokens');\n");
    expect(run().status).toBe(0);
    failsNaming(
      'packages/kernel/src/services/sneaky.ts',
      "const sql = 'INSERT INTO gateway_tokens (id) VALUES (?)';\n",
    );
  });

  it('fails on a libsql database opened with { readonly: true }, which the binding ignores, in a store module too', () => {
    treeWithAllowList();
    write(
      'packages/kernel/src/store/look.ts',
      '// not new Database(path, { readonly: true }) here\nconst db = new Database(readOnlyUri(path));\n',
    );
    expect(run().status).toBe(0);
    const said = failsNaming(
      'packages/kernel/src/store/peek.ts',
      'const db = new Database(path, { readonly: true, timeout: 5000 });\n',
    );
    expect(said).toContain('?mode=ro');
  });

  it("fails on a look at libsql's inTransaction that does not check open first (it aborts the process on a closed database)", () => {
    treeWithAllowList();
    write(
      'packages/kernel/src/store/guarded.ts',
      '// not db.inTransaction here\nexport const inTransaction = (db) => db.open && db.inTransaction;\n',
    );
    write('packages/store-postgres/src/store/pool.ts', 'if (!this.#db.inTransaction) start();\n');
    expect(run().status).toBe(0);
    const said = failsNaming('packages/memory/src/store/late.ts', 'if (this.db.inTransaction) rollback();\n');
    expect(said).toContain('aborts the process');
  });

  it('fails on an allow-list entry that holds no SQL any more, so the list only shrinks', () => {
    treeWithAllowList();
    const listed = ['packages/memory/src/old.ts', 'packages/memory/src/gone.ts'];
    write(listed[0]!, "db.prepare('SELECT 1 FROM t');\n");
    expect(checkSqlHome(root!, listed)).toEqual([
      'packages/memory/src/gone.ts: holds no SQL any more: remove it from NOT_YET_MOVED in scripts/check-sql-home.mjs',
    ]);
    write(listed[0]!, 'export const nothing = 1;\n');
    expect(checkSqlHome(root!, listed)).toHaveLength(2);
  });

  it('allows no SQL outside store modules in this repository: the allow-list is empty', () => {
    expect(NOT_YET_MOVED).toEqual([]);
  });
});
