/**
 * Gateway tokens bound to a user and a role (Oxios's RBAC roles): `user` acts only as its own
 * user and sees only that user's sessions; `operator` may act for any user (a channel bridge);
 * `admin` may also change budgets and read the audit chain. Tokens are shown once when made;
 * only their SHA-256 is stored, and a lookup is by digest (nothing to compare in JS time).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ControlStoreGroup, type TokenRole, UsageError } from '@oxydra/types';
import type { KernelDb } from '../store/kernel-db.js';
import { libsqlControlStores } from '../store/libsql/control.js';
import type { KernelAudit } from './audit/audit-log.js';

export const ROLES = ['user', 'operator', 'admin'] as const satisfies readonly TokenRole[];
export type Role = TokenRole;

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

/**
 * The tokens service over the control stores (default: the kernel database's). A change and its
 * audit entry commit in one transaction of the group (the libSQL group's transaction is the
 * database's, which the audit chain writes to).
 */
export function tokenCalls(
  db: KernelDb,
  audit: KernelAudit,
  stores: ControlStoreGroup<'sync'> = libsqlControlStores(db),
): TokenCalls {
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
      const pending = options.pending === true;
      stores.transaction(({ tokens }) => {
        const createdAt = new Date().toISOString();
        tokens.insert({ id, digest: digestOf(token), userId: user, role, label, createdAt, pending });
        audit.record(
          actor,
          'token_add',
          { id, user, role, label, ...(pending ? { pending } : {}) },
          `token:${id}`,
        );
      });
      return { id, token };
    },
    list() {
      return stores.tokens.list().map(({ id, userId, role, label, createdAt, revokedAt, pending }) => ({
        id,
        user: userId,
        role,
        label,
        createdAt,
        revokedAt,
        pending,
      }));
    },
    activate(id) {
      return stores.tokens.activate(id);
    },
    revoke(id, actor) {
      return stores.transaction(({ tokens }) => {
        const revoked = tokens.revoke(id, new Date().toISOString());
        if (revoked) audit.record(actor, 'token_revoke', { id }, `token:${id}`);
        return revoked;
      });
    },
    authenticate(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const found = stores.tokens.findUsable(digestOf(token));
      if (!found) return undefined;
      const { id: tokenId, userId: user, role } = found;
      return role === 'user' ? { tokenId, role, user } : { tokenId, role };
    },
  };
}
