/**
 * The one way a store takes a transaction advisory lock on a name: what counts rows then
 * inserts (a user's schedules, sessions or runs against its limit) sends this first, in the same
 * transaction. Under READ COMMITTED two such transactions would otherwise both count before
 * either inserted and both pass the limit; with it the second waits for the first to end, and
 * its count (a later statement, a later snapshot) sees the first's row.
 *
 * The key is `space || schema [|| ':' || key]`: per schema, so two deployments sharing a server
 * never wait on each other. The strings are the ones the stores used before this helper, so
 * processes of the previous version and of this one still exclude each other.
 * Outside a transaction the lock ends with its statement: the caller must be inside one.
 */
import type { Sql } from './database.js';

/** What is locked: a prefix naming the rule, ending in ':'. */
export type LockSpace =
  | 'oxydra-schedules-of:'
  | 'oxydra-schedule-slots:'
  | 'oxydra-sessions-of:'
  | 'oxydra-cluster-user:'
  | 'oxydra-cluster-token:';

/** Sends the statement that takes `space`'s lock (of `key` within it, when given). */
export function takeXactLock(sql: Sql, space: LockSpace, key?: string): Promise<unknown> {
  return key === undefined
    ? sql.query('SELECT pg_advisory_xact_lock(hashtextextended($1 || current_schema(), 0))', [space])
    : sql.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || current_schema() || ':' || $2, 0))`, [
        space,
        key,
      ]);
}
