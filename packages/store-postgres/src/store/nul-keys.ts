/**
 * Keys no row holds. PostgreSQL's text cannot hold a NUL (U+0000) and the stores refuse control
 * characters in ids, so no id or user id stored holds one. A read by such a key finds nothing
 * here, as on libSQL, instead of failing with SQLSTATE 22021 when the key reaches the server:
 * `GET /api/v1/sessions/a%00b` was an internal error of a gateway on PostgreSQL, a 404 on libSQL.
 */
export function holdsNul(...keys: readonly (string | undefined)[]): boolean {
  return keys.some((key) => typeof key === 'string' && key.includes('\u0000'));
}
