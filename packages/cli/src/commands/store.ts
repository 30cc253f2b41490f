/**
 * `oxydra store migrate|status`: the store [store] (or --store) names, libSQL or PostgreSQL.
 * The group is declared here with its flags (this module loads with the program, so it imports
 * nothing heavy at the top); each command's work imports what it needs when it runs, and only a
 * PostgreSQL store loads `pg`.
 */
import type { Command } from 'commander';
import { addStoreFlag, type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { lazy } from '../program/lazy.js';
import { declareStoreCopy } from './store-copy.js';

/** The commands' work, run through `lazy` (zod set up, the exit code the process's). */
const here = async () => ({ runStoreMigrate, runStoreStatus });

export function declareStoreCommands(program: Command): void {
  const store = program
    .command('store')
    .description('where sessions, notes and kernel state live ([store]: libsql or postgres)');
  addStoreFlag(
    store
      .command('migrate')
      .description('apply the PostgreSQL migrations the schema lacks (libsql migrates itself)')
      .option('--json', 'print JSON'),
  ).action(lazy(here, 'runStoreMigrate'));
  addStoreFlag(
    store
      .command('status')
      .description('the store in use: backend, server (no password), schema, migrations, whether it answers')
      .option('--json', 'print JSON'),
  ).action(lazy(here, 'runStoreStatus'));
  declareStoreCopy(store);
}

type StoreFlags = Pick<ConfigFlagValues, 'store'> & { json?: boolean };

async function loadStoreConfig(flags: StoreFlags) {
  const { loadCliConfig } = await import('../run/load-config.js');
  const cli = await toCliOverrides(flags.store !== undefined ? { store: flags.store } : {});
  return (await loadCliConfig({ ask: false, cli })).config;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function runStoreMigrate(flags: StoreFlags): Promise<number> {
  const config = await loadStoreConfig(flags);
  const { asConfigError, storeChoice } = await import('../run/store-choice.js');
  const choice = storeChoice(config);
  if (choice.backend === 'libsql') {
    if (flags.json) print(JSON.stringify({ backend: 'libsql', applied: [] }));
    else print('store: libsql, nothing to migrate (the embedded file migrates itself when it is opened)');
    return 0;
  }
  const { describeTarget, MIGRATIONS, migratePostgres } = await import('@oxydra/store-postgres');
  const target = describeTarget(choice.url);
  let report: Awaited<ReturnType<typeof migratePostgres>>;
  try {
    report = await migratePostgres({ url: choice.url, schema: choice.schema });
  } catch (error) {
    throw asConfigError(error);
  }
  if (flags.json) {
    print(JSON.stringify({ backend: 'postgres', target, ...report }));
    return 0;
  }
  for (const version of report.applied) {
    print(`applied ${version} ${MIGRATIONS.find((m) => m.version === version)?.name ?? ''}`.trimEnd());
  }
  print(
    report.applied.length === 0
      ? `schema ${report.schema} at ${target} is up to date (version ${report.version})`
      : `schema ${report.schema} at ${target} is now at version ${report.version}`,
  );
  return 0;
}

/** Exit 0 when the store can be used; 1 when its server does not answer or its schema is too new. */
async function runStoreStatus(flags: StoreFlags): Promise<number> {
  const config = await loadStoreConfig(flags);
  const [{ findWorkspaceRoot }, { migrationState, storeReport }] = await Promise.all([
    import('@oxydra/config'),
    import('../run/store-choice.js'),
  ]);
  const report = await storeReport(config, findWorkspaceRoot());
  const usable = report.backend === 'libsql' || (report.reachable && (report.version ?? 0) <= report.latest);
  if (flags.json) {
    print(JSON.stringify(report, null, 2));
    return usable ? 0 : 1;
  }
  if (report.backend === 'libsql') {
    print('backend     libsql (embedded; migrates itself)');
    print(`location    ${report.location}`);
    return 0;
  }
  print('backend     postgres');
  print(`target      ${report.target} (URL from ${report.urlFrom})`);
  print(`schema      ${report.schema}`);
  print(
    `migrations  ${report.reachable ? migrationState(report) : `unknown; this Oxydra knows ${report.latest}`}`,
  );
  print(`reachable   ${report.reachable ? 'yes' : `no: ${report.reason}`}`);
  return usable ? 0 : 1;
}
