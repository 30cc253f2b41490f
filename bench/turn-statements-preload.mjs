// Loaded into each gateway by bench/turn-statements.mjs (node --import): records every statement
// the process runs, as one JSON line each in OXYDRA_BENCH_TRACE, flushed every 100 ms. PostgreSQL:
// pg's Client.query, with the server process (one per connection), when it was sent and when
// answered. libSQL: the embedded stores' statements (libsql's prepared statements and exec).
// Only the unbundled CLI (OXYDRA_NO_BUNDLE=1) loads these modules from node_modules, where this
// patches them; the bundle carries copies of its own.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.OXYDRA_BENCH_TRACE;
const buffer = [];
const now = () => performance.timeOrigin + performance.now();
const oneLine = (text) => String(text).replace(/\s+/g, ' ').trim().slice(0, 400);
const flush = () => {
  if (buffer.length > 0)
    appendFileSync(
      file,
      `${buffer
        .splice(0)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
};
setInterval(flush, 100).unref();
process.on('exit', flush);

// The traced build's tree (OXYDRA_BENCH_ROOT: another build's, a baseline), where its modules resolve.
const root = process.env.OXYDRA_BENCH_ROOT
  ? pathToFileURL(`${process.env.OXYDRA_BENCH_ROOT}/`)
  : new URL('../', import.meta.url);
const pg = createRequire(new URL('packages/store-postgres/package.json', root))('pg');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const entry = {
    t: now(),
    conn: this.processID,
    text: oneLine(typeof config === 'string' ? config : config?.text),
  };
  buffer.push(entry);
  const answered = () => {
    entry.answered = now();
  };
  /** The caller's callback, called after the answer is noted. */
  const noting =
    (done) =>
    (...args) => {
      answered();
      return done(...args);
    };
  if (typeof values === 'function') return query.call(this, config, noting(values));
  if (typeof callback === 'function') return query.call(this, config, values, noting(callback));
  const result = query.call(this, config, values);
  result?.then?.(answered, answered);
  return result;
};

const Database = createRequire(new URL('packages/memory/package.json', root))('libsql');
const prepare = Database.prototype.prepare;
let statementPatched = false;
/** Wrapped calls under way: all() reads through iterate(), which is not recorded again. */
let depth = 0;
Database.prototype.prepare = function (text) {
  const statement = prepare.call(this, text);
  statement.oxydraText = oneLine(text);
  if (!statementPatched) {
    statementPatched = true;
    const proto = Object.getPrototypeOf(statement);
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = proto[method];
      proto[method] = function (...args) {
        if (depth === 0) buffer.push({ t: now(), conn: 'libsql', text: this.oxydraText });
        depth += 1;
        try {
          return original.apply(this, args);
        } finally {
          depth -= 1;
        }
      };
    }
  }
  return statement;
};
const exec = Database.prototype.exec;
Database.prototype.exec = function (text) {
  buffer.push({ t: now(), conn: 'libsql', text: oneLine(text) });
  return exec.call(this, text);
};
