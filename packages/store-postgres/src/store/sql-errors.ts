/** SQLSTATE codes the stores turn into the contracts' own errors. */

/** A foreign key points at a row that does not exist (a session, for instance). */
export const FOREIGN_KEY_VIOLATION = '23503';

export function hasCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | undefined)?.code === code;
}
