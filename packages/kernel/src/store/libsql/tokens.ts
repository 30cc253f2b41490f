/**
 * The libSQL TokenStore over the kernel database's gateway_tokens table (the embedded default of
 * the contract in @oxydra/types). Statements are prepared once per store; each method is one
 * statement, so it is atomic within this process and across processes sharing the file.
 */
import type { NewToken, StoredToken, TokenRole, TokenStanding, TokenStore } from '@oxydra/types';
import type { KernelDb } from '../kernel-db.js';

type TokenRow = [string, string, TokenRole, string, string, string | null, number];

const COLUMNS = 'id, user_id, role, label, created_at, revoked_at, pending';

const tokenOf = ([id, userId, role, label, createdAt, revokedAt, pending]: TokenRow): StoredToken => ({
  id,
  userId,
  role,
  label,
  createdAt,
  revokedAt,
  pending: pending === 1,
});

export class LibsqlTokenStore implements TokenStore<'sync'> {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #findUsable;
  readonly #activate;
  readonly #revoke;
  readonly #standing;

  constructor(db: KernelDb) {
    this.#insert = db.prepare(
      'INSERT INTO gateway_tokens (id, digest, user_id, role, label, created_at, pending) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM gateway_tokens WHERE id = ?`).raw(true);
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM gateway_tokens ORDER BY created_at, rowid`).raw(true);
    this.#findUsable = db
      .prepare(
        `SELECT ${COLUMNS} FROM gateway_tokens WHERE digest = ? AND revoked_at IS NULL AND pending = 0`,
      )
      .raw(true);
    this.#activate = db.prepare(
      'UPDATE gateway_tokens SET pending = 0 WHERE id = ? AND pending = 1 AND revoked_at IS NULL',
    );
    this.#revoke = db.prepare('UPDATE gateway_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.#standing = db
      .prepare(
        `SELECT count(*), coalesce(sum(revoked_at IS NULL AND pending = 0), 0), max(revoked_at)
           FROM gateway_tokens WHERE user_id = ?`,
      )
      .raw(true);
  }

  insert(token: NewToken): void {
    this.#insert.run(
      token.id,
      token.digest,
      token.userId,
      token.role,
      token.label,
      token.createdAt,
      token.pending ? 1 : 0,
    );
  }

  get(id: string): StoredToken | undefined {
    const row = this.#get.get(id) as TokenRow | undefined;
    return row ? tokenOf(row) : undefined;
  }

  list(): StoredToken[] {
    return (this.#list.all() as TokenRow[]).map(tokenOf);
  }

  findUsable(digest: string): StoredToken | undefined {
    const row = this.#findUsable.get(digest) as TokenRow | undefined;
    return row ? tokenOf(row) : undefined;
  }

  activate(id: string): boolean {
    return this.#activate.run(id).changes > 0;
  }

  revoke(id: string, at: string): boolean {
    return this.#revoke.run(at, id).changes > 0;
  }

  standing(userId: string): TokenStanding {
    const [total, usable, lastRevokedAt] = this.#standing.get(userId) as [number, number, string | null];
    return { total: Number(total), usable: Number(usable), lastRevokedAt };
  }
}
