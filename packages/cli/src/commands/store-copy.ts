/**
 * `oxydra store copy`: declared on the `store` command group (its flags and help only; the
 * copy itself, store-copy-run.ts, is imported when it runs).
 */
import type { Command } from 'commander';
import { lazy } from '../program/lazy.js';

export function declareStoreCopy(store: Command): void {
  store
    .command('copy')
    .description(
      "copy this workspace's data (sessions, notes, state, tokens, approvals, schedules, audit chain, spend, usage) into PostgreSQL, or back; verified, resumable",
    )
    .option(
      '--to <store>',
      'postgres (the server [store] names: its URL in OXYDRA_STORE_URL or [store] url_env), postgres://user@host:port/db (the password in PGPASSWORD), or libsql (this workspace)',
    )
    .option('--from <store>', 'libsql (this workspace, the default), postgres or postgres://…')
    .option('--schema <name>', 'the PostgreSQL schema (default oxydra)')
    .option('--force', 'delete what the target holds first instead of refusing a target with other data')
    .option('--batch-size <n>', 'records per committed batch (default 500)')
    .option('--json', 'print the summary as JSON')
    .action(lazy(() => import('./store-copy-run.js'), 'runStoreCopy'));
}
