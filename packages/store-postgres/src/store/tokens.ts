/**
 * The PostgreSQL TokenStore: gateway tokens stored by the SHA-256 digest of their secret. Each
 * method is one statement; activation and revocation change only a row still in the state they
 * leave, so of two racing callers exactly one is told true.
 */
import type { NewToken, StoredToken, TokenRole, TokenStanding, TokenStore } from '@oxydra/types';
import type { PgDatabase } from './database.js';

const COLUMNS = 'id, user_id, role, label, created_at, revoked_at, pending';

interface TokenRow {
  id: string;
  user_id: string;
  role: TokenRole;
  label: string;
  created_at: string;
  revoked_at: string | null;
  pending: boolean;
}

const tokenOf = (row: TokenRow): StoredToken => ({
  id: row.id,
  userId: row.user_id,
  role: row.role,
  label: row.label,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  pending: row.pending,
});

export class PostgresTokenStore implements TokenStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async insert(token: NewToken): Promise<void> {
    await this.#db.run((sql) =>
      sql.query(
        `INSERT INTO gateway_tokens (id, digest, user_id, role, label, created_at, pending)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [token.id, token.digest, token.userId, token.role, token.label, token.createdAt, token.pending],
      ),
    );
  }

  async get(id: string): Promise<StoredToken | undefined> {
    return this.#one(`SELECT ${COLUMNS} FROM gateway_tokens WHERE id = $1`, [id]);
  }

  async list(): Promise<StoredToken[]> {
    const { rows } = await this.#db.run((sql) =>
      sql.query<TokenRow>(`SELECT ${COLUMNS} FROM gateway_tokens ORDER BY created_at, row_id`),
    );
    return rows.map(tokenOf);
  }

  async findUsable(digest: string): Promise<StoredToken | undefined> {
    return this.#one(
      `SELECT ${COLUMNS} FROM gateway_tokens WHERE digest = $1 AND revoked_at IS NULL AND NOT pending`,
      [digest],
    );
  }

  async activate(id: string): Promise<boolean> {
    return this.#changed(
      'UPDATE gateway_tokens SET pending = false WHERE id = $1 AND pending AND revoked_at IS NULL',
      [id],
    );
  }

  async revoke(id: string, at: string): Promise<boolean> {
    return this.#changed('UPDATE gateway_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
      at,
      id,
    ]);
  }

  async standing(userId: string): Promise<TokenStanding> {
    const { rows } = await this.#db.run((sql) =>
      sql.query<{ total: number; usable: number; last: string | null }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE revoked_at IS NULL AND NOT pending) AS usable,
           max(revoked_at) AS last
         FROM gateway_tokens WHERE user_id = $1`,
        [userId],
      ),
    );
    const row = rows[0];
    return { total: row?.total ?? 0, usable: row?.usable ?? 0, lastRevokedAt: row?.last ?? null };
  }

  async #one(text: string, args: unknown[]): Promise<StoredToken | undefined> {
    const { rows } = await this.#db.run((sql) => sql.query<TokenRow>(text, args));
    return rows[0] ? tokenOf(rows[0]) : undefined;
  }

  async #changed(text: string, args: unknown[]): Promise<boolean> {
    const result = await this.#db.run((sql) => sql.query(text, args));
    return (result.rowCount ?? 0) > 0;
  }
}
