#!/usr/bin/env node
// Fails when SQL appears in a source file outside the store modules (issue 32 item 3: stores
// behind contracts, so a second backend such as PostgreSQL replaces whole modules, not lines
// scattered through services). SQL here: a database call (`db.execute(`, `client.batch(`,
// `.prepare(`, `db.exec(`, `client.query(` ...), any `.query(` given SQL text, or an SQL
// statement in code, PostgreSQL's LISTEN/NOTIFY and `pg_*` functions included (comments are
// ignored; prose such as "may LISTEN and NOTIFY" in a message is not a statement).
// Store modules: any file under packages/<package>/src/store/.
// Also fails on a libsql database opened with `{ readonly: true }`, which the binding ignores, and
// on a look at a libsql database's `inTransaction` that does not check `open` first.
// Run: node scripts/check-sql-home.mjs [--root DIR]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { sourceFiles } from './check-layers.mjs';

// Files that still hold SQL outside a store module. Empty since the memory package's search
// index moved behind its contract (issue 32 item 3), and it may only stay so: an entry whose file
// no longer holds SQL (or no longer exists) fails the check too, so the list never grows stale.
export const NOT_YET_MOVED = [];

const DB_CALL =
  /\b(?:db|client|raw|tx|database|connection|pool|#db|#client|#pool)\.(?:execute|executeMultiple|batch|exec|prepare|transaction|query)\(|\.prepare\(|\.query(?:<[^>()]*>)?\(\s*['"`]\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|SHOW|SET|BEGIN|COMMIT|ROLLBACK|LISTEN|UNLISTEN|NOTIFY|CREATE|DROP|ALTER|TRUNCATE|VACUUM|ANALYZE|LOCK)\b/;
const STATEMENT =
  /\b(?:SELECT\s+[\s\S]{0,200}?\bFROM\s+\w+|INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\s+\w+|CREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\b|DROP\s+(?:TABLE|INDEX)\b|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b|PRAGMA\s+\w|(?:UN)?LISTEN\s+(?:"|\$\{|\*)|NOTIFY\s+(?:"|\$\{)|\bpg_\w+\s*\()/;

/**
 * A libsql database opened with `{ readonly: true }`, in any source file, store modules included:
 * the binding ignores the option, so such a look wrote the file it meant to read (rolled back a
 * hot journal) and made an empty one where it had gone (state-origin.ts opens `?mode=ro`).
 */
const READONLY_OPTION = /new\s+Database\([^)]*\breadonly\s*:\s*true/;

/**
 * A look at `inTransaction` without `<db>.open &&` before it (PostgreSQL's own Database class,
 * in store-postgres, is not libsql's and is left out): libsql's getter aborts the process on a
 * closed database (a Rust panic, exit 134), which a commit arriving after close did.
 */
const UNCHECKED_IN_TRANSACTION = /(?<!\.open\s*&&\s*[\w.#]*)\.inTransaction\b/;
const isPostgresPackage = (path) => path.startsWith('packages/store-postgres/');

/** The code without comments: block comments and lines that are only a line comment. */
function codeOf(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
}

/** What SQL `text` holds, as a short reason, or undefined. */
export function sqlIn(text) {
  const code = codeOf(text);
  const call = DB_CALL.exec(code);
  if (call) return `database call ${call[0]}`;
  const statement = STATEMENT.exec(code);
  if (statement) return `SQL statement "${statement[0].replace(/\s+/g, ' ').slice(0, 40)}"`;
  return undefined;
}

const isStoreModule = (path) =>
  path
    .split(sep)
    .join('/')
    .match(/^packages\/[^/]+\/src\/store\//) !== null;

/** Problems found under `root`; `notYetMoved` is the allow-list (a parameter so tests can give one). */
export function checkSqlHome(root, notYetMoved = NOT_YET_MOVED) {
  const problems = [];
  const packagesDir = join(root, 'packages');
  const seen = new Set();
  for (const dir of readdirSync(packagesDir)) {
    let files = [];
    try {
      files = sourceFiles(join(packagesDir, dir, 'src'));
    } catch {}
    for (const file of files) {
      const where = relative(root, file).split(sep).join('/');
      const text = readFileSync(file, 'utf8');
      if (READONLY_OPTION.test(codeOf(text))) {
        problems.push(
          `${where}: libsql's Node binding ignores { readonly: true } (it opens read-write, and creates a missing file): open \`\${pathToFileURL(path).href}?mode=ro\` instead`,
        );
      }
      if (!isPostgresPackage(where) && UNCHECKED_IN_TRANSACTION.test(codeOf(text))) {
        problems.push(
          `${where}: libsql's inTransaction aborts the process on a closed database: look through inTransaction() (kernel-db.ts) or as \`db.open && db.inTransaction\``,
        );
      }
      if (isStoreModule(where)) continue;
      const reason = sqlIn(text);
      if (!reason) continue;
      seen.add(where);
      if (!notYetMoved.includes(where)) {
        problems.push(
          `${where}: ${reason} outside a store module: put it in packages/<package>/src/store/ behind the store's contract (@oxydra/types stores)`,
        );
      }
    }
  }
  for (const listed of notYetMoved) {
    if (!seen.has(listed)) {
      problems.push(
        `${listed}: holds no SQL any more: remove it from NOT_YET_MOVED in scripts/check-sql-home.mjs`,
      );
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { root: { type: 'string', default: process.cwd() } } });
  const problems = checkSqlHome(values.root);
  if (problems.length > 0) {
    process.stderr.write(`SQL home check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('SQL home check passed\n');
}
