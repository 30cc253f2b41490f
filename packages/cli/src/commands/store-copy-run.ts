/**
 * `oxydra store copy --to postgres://… | --from postgres://… --to libsql`: every record of this
 * workspace's libSQL files (the memory file, the kernel database) copied into a PostgreSQL
 * schema, or back, through the stores' transfer interface (@oxydra/kernel/stores' copyStores),
 * then checked against the source (checkCopy). Progress on stderr, the summary on stdout.
 */
import { findWorkspaceRoot } from '@oxydra/config';
import {
  type CopyCheck,
  type CopyProgress,
  checkCopy,
  copyStores,
  indexCopiedMemory,
} from '@oxydra/kernel/stores';
import { openWorkspaceMemory } from '@oxydra/kernel/workspace';
import { checkSchemaName, openPostgresStores } from '@oxydra/store-postgres';
import { holdsPassword, UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';
import { storeChoice } from '../run/store-choice.js';
import { openPostgresSide, openWorkspaceSide, type Side } from './store-copy-sides.js';

interface StoreCopyFlags {
  to?: string;
  from?: string;
  schema?: string;
  force?: boolean;
  batchSize?: string;
  json?: boolean;
}

const USAGE_HINT =
  'oxydra store copy --to postgres [--schema oxydra] (the server [store] names), --to postgres://user@host:5432/db, or --from postgres --to libsql';

/** `postgres` alone: the server [store] names (its URL from [store] url or url_env's variable). */
const isPostgres = (value: string) => value === 'postgres' || /^postgres(ql)?:\/\//.test(value);

/**
 * The URL checked before the driver sees it (its own error would be a bare "Invalid URL"). One
 * with a password is refused, as --store refuses it: a command line is seen by every local user
 * (ps) and kept in shell history; PGPASSWORD or the [store] url_env variable carry it instead.
 */
function checkUrl(flag: string, url: string): string {
  if (!URL.canParse(url)) {
    throw new UsageError(`${flag} is not a valid URL`, { hint: 'write it as postgres://user@host:5432/db' });
  }
  if (holdsPassword(url)) {
    throw new UsageError(`${flag} holds a password, which must not be on a command line`, {
      hint: 'drop it from the URL and export PGPASSWORD, or use --to/--from postgres with the URL in OXYDRA_STORE_URL',
    });
  }
  return url;
}

/** The configured server's URL and schema, for `postgres` alone. */
async function configuredServer(flag: string): Promise<{ url: string; schema: string }> {
  const { config } = await loadCliConfig({ ask: false });
  const choice = storeChoice({ ...config, store: { ...config.store, backend: 'postgres' } });
  if (choice.backend !== 'postgres') throw new UsageError(`${flag} postgres: no server configured`);
  return { url: choice.url, schema: choice.schema };
}

function directionOf(flags: StoreCopyFlags): { postgres: string; into: 'postgres' | 'libsql' } {
  const to = flags.to;
  const from = flags.from ?? 'libsql';
  if (to === undefined) throw new UsageError('store copy needs --to', { hint: USAGE_HINT });
  for (const [flag, value] of [
    ['--to', to],
    ['--from', from],
  ] as const) {
    if (value !== 'libsql' && !isPostgres(value)) {
      // Shown only when it is one plain word (a typo of libsql): anything else may hold a
      // password (`host=db password=…`, a URL without its scheme).
      const got = /^[\w.-]{1,40}$/.test(value) ? `, got "${value}"` : '';
      throw new UsageError(`${flag} must be a postgres:// URL or libsql${got}`, {
        hint: USAGE_HINT,
      });
    }
  }
  if (isPostgres(to) === isPostgres(from)) {
    throw new UsageError('store copy goes between this workspace (libsql) and PostgreSQL: one side each', {
      hint: USAGE_HINT,
    });
  }
  return isPostgres(to) ? { postgres: to, into: 'postgres' } : { postgres: from, into: 'libsql' };
}

/** The server a `postgres` or `postgres://…` side names, and the schema to use there. */
async function serverOf(
  flags: StoreCopyFlags,
  postgres: string,
  into: 'postgres' | 'libsql',
): Promise<{ url: string; schema?: string }> {
  const flag = into === 'postgres' ? '--to' : '--from';
  if (postgres !== 'postgres')
    return { url: checkUrl(flag, postgres), ...(flags.schema ? { schema: flags.schema } : {}) };
  const configured = await configuredServer(flag);
  return { url: configured.url, schema: flags.schema ?? configured.schema };
}

function batchSizeOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > 100_000) {
    throw new UsageError(`--batch-size: a whole number from 1 to 100000, got "${raw}"`);
  }
  return size;
}

function progressPrinter(stderr: NodeJS.WritableStream): (progress: CopyProgress) => void {
  let shownAt = 0;
  return ({ table, copied, total }) => {
    const now = Date.now();
    // Every finished table, and a long one's progress about once a second.
    if (copied < total && now - shownAt < 1000) return;
    shownAt = now;
    stderr.write(`copying ${table}: ${copied}/${total}\n`);
  };
}

function summary(check: CopyCheck, from: string, to: string): string {
  const width = Math.max(...check.tables.map((t) => t.table.length), 'table'.length);
  const rows = check.tables.map(
    (t) =>
      `${t.table.padEnd(width)}  ${String(t.source).padStart(8)}  ${String(t.target).padStart(8)}  ${t.source === t.target ? 'ok' : 'DIFFERS'}`,
  );
  return [
    `copied ${from} -> ${to}`,
    `${'table'.padEnd(width)}  ${'source'.padStart(8)}  ${'target'.padStart(8)}`,
    ...rows,
    `sessions: ${check.sessions.checked} checked, ${check.sessions.differing.length} with other message counts`,
    `audit chain: head ${check.audit.targetHead}, ${check.audit.verified ? 'verifies on the target' : `does not verify: ${check.audit.problem}`}`,
  ].join('\n');
}

/** Copies and checks, with both sides open only for that. */
async function copyAndCheck(
  flags: StoreCopyFlags,
  postgres: { url: string; schema?: string },
  into: 'postgres' | 'libsql',
) {
  const batchSize = batchSizeOf(flags.batchSize);
  const sides: Side[] = [];
  try {
    const workspace = await openWorkspaceSide(into === 'postgres');
    sides.push(workspace);
    const server = await openPostgresSide(postgres.url, postgres.schema, into === 'postgres');
    sides.push(server);
    const [from, to] = into === 'postgres' ? [workspace, server] : [server, workspace];
    const copied = await copyStores({
      from: from.transfers,
      to: to.transfers,
      ...(flags.force ? { force: true } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      onProgress: progressPrinter(process.stderr),
    });
    const check = await checkCopy({
      from: from.transfers,
      to: to.transfers,
      sessions: { from: from.sessions, to: to.sessions },
      audit: { from: from.audit, to: to.audit },
    });
    return { from: from.name, to: to.name, copied, check };
  } finally {
    for (const side of sides.reverse()) await side.close().catch(() => {});
  }
}

/**
 * The copied notes and conversations made searchable on the target (the index is not copied):
 * the workspace's memory opened on the target's stores (its own file, or PostgreSQL's sessions,
 * notes and search index), indexed with the workspace's embedder.
 */
async function indexTarget(
  into: 'postgres' | 'libsql',
  server: { url: string; schema?: string },
  check: CopyCheck,
): Promise<{ notes: number; sessions: number }> {
  const { config } = await loadCliConfig({ ask: false });
  const target = (table: string) => check.tables.find((t) => t.table === table)?.target ?? 0;
  const counts = { notes: target('notes'), sessions: target('sessions') };
  const postgres =
    into === 'postgres'
      ? await openPostgresStores({ url: server.url, ...(server.schema ? { schema: server.schema } : {}) })
      : undefined;
  try {
    const stores = postgres
      ? { sessions: postgres.sessions, notes: postgres.notes, searchIndex: postgres.searchIndex }
      : {};
    const memory = await openWorkspaceMemory(config, findWorkspaceRoot(), process.env, undefined, {}, stores);
    try {
      return await indexCopiedMemory(memory, counts, progressPrinter(process.stderr));
    } finally {
      await memory.close();
    }
  } finally {
    await postgres?.close();
  }
}

export async function runStoreCopy(flags: StoreCopyFlags): Promise<number> {
  const { stdout, stderr } = process;
  const { postgres, into } = directionOf(flags);
  if (flags.schema !== undefined) {
    try {
      checkSchemaName(flags.schema);
    } catch (error) {
      throw new UsageError(`--schema: ${(error as Error).message}`);
    }
  }
  const server = await serverOf(flags, postgres, into);
  const { from, to, copied, check } = await copyAndCheck(flags, server, into);
  const indexed = check.ok ? await indexTarget(into, server, check) : undefined;
  if (flags.json)
    stdout.write(`${JSON.stringify({ from, to, copied, ...check, ...(indexed ? { indexed } : {}) })}\n`);
  else {
    stdout.write(`${summary(check, from, to)}\n`);
    if (indexed)
      stdout.write(`search index: built for ${indexed.notes} notes and ${indexed.sessions} sessions\n`);
  }
  if (!check.ok) {
    stderr.write(
      `error: the copy differs from its source: ${check.problem}\n  hint: stop what writes to the source (its gateway, runs), then copy again with --force\n`,
    );
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}
