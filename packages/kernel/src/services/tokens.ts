/**
 * Gateway tokens bound to a user and a role (Oxios's RBAC roles): `user` acts only as its own
 * user and sees only that user's sessions; `operator` may act for any user (a channel bridge);
 * `admin` may also change budgets and read the audit chain. Tokens are shown once when made;
 * only their SHA-256 is stored, and a lookup is by digest (nothing to compare in JS time).
 */
import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '@oxydra/types';
import { type KernelDb, writeTransaction } from '../store/kernel-db.js';
import type { KernelAudit } from './audit/audit-log.js';

export const ROLES = ['user', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request is: the owner's token (admin, any user) or a stored one. */
export interface Principal {
  tokenId: string;
  role: Role;
  /** The only user a `user` token may act as; undefined: any. */
  user?: string;
}

export interface TokenInfo {
  id: string;
  user: string;
  role: Role;
  label: string;
  createdAt: string;
  revokedAt: string | null;
  /** Made over the gateway as an admin token, waiting for `oxydra approvals approve`: unusable. */
  pending: boolean;
}

export interface TokenCalls {
  /**
   * Makes a token; the returned secret is never shown again. `pending`: it works only once an
   * approval activates it (an admin token asked for over the gateway).
   */
  add(
    user: string,
    role: Role,
    label: string,
    actor: string,
    options?: { pending?: boolean },
  ): { id: string; token: string };
  /** Makes a pending token usable (its approval was granted); false if it is gone or revoked. */
  activate(id: string): boolean;
  list(): TokenInfo[];
  revoke(id: string, actor: string): boolean;
  authenticate(token: string): Principal | undefined;
}

const USER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const TOKEN_PREFIX = 'oxt_';

const digestOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function tokenCalls(db: KernelDb, audit: KernelAudit): TokenCalls {
  return {
    add(user, role, label, actor, options = {}) {
      if (!USER_ID.test(user)) {
        throw new UsageError(`user "${user.slice(0, 80)}": use 1-64 letters, digits, ".", "_", ":" or "-"`);
      }
      if (!ROLES.includes(role)) {
        throw new UsageError(`unknown role "${role}"`, { hint: `roles: ${ROLES.join(', ')}` });
      }
      const id = randomBytes(6).toString('hex');
      const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
      writeTransaction(db, () => {
        db.prepare(
          'INSERT INTO gateway_tokens (id, digest, user_id, role, label, created_at, pending) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(id, digestOf(token), user, role, label, new Date().toISOString(), options.pending ? 1 : 0);
        audit.record(
          actor,
          'token_add',
          { id, user, role, label, ...(options.pending ? { pending: true } : {}) },
          `token:${id}`,
        );
      });
      return { id, token };
    },
    list() {
      const rows = db
        .prepare(
          'SELECT id, user_id, role, label, created_at, revoked_at, pending FROM gateway_tokens ORDER BY created_at',
        )
        .raw(true)
        .all() as [string, string, Role, string, string, string | null, number][];
      return rows.map(([id, user, role, label, createdAt, revokedAt, pending]) => ({
        id,
        user,
        role,
        label,
        createdAt,
        revokedAt,
        pending: pending === 1,
      }));
    },
    activate(id) {
      const changed = db
        .prepare('UPDATE gateway_tokens SET pending = 0 WHERE id = ? AND pending = 1 AND revoked_at IS NULL')
        .run(id).changes;
      return changed > 0;
    },
    revoke(id, actor) {
      return writeTransaction(db, () => {
        const changed = db
          .prepare('UPDATE gateway_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
          .run(new Date().toISOString(), id).changes;
        if (changed > 0) audit.record(actor, 'token_revoke', { id }, `token:${id}`);
        return changed > 0;
      });
    },
    authenticate(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const row = db
        .prepare(
          'SELECT id, user_id, role FROM gateway_tokens WHERE digest = ? AND revoked_at IS NULL AND pending = 0',
        )
        .raw(true)
        .get(digestOf(token)) as [string, string, Role] | undefined;
      if (!row) return undefined;
      const [tokenId, user, role] = row;
      return role === 'user' ? { tokenId, role, user } : { tokenId, role };
    },
  };
}
