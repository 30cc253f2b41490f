/**
 * Gateway tokens bound to a user and a role (Oxios's RBAC roles): `user` acts only as its own
 * user and sees only that user's sessions; `operator` may act for any user (a channel bridge);
 * `admin` may also change budgets and read the audit chain. Tokens are shown once when made;
 * only their SHA-256 is stored, and a lookup is by digest (nothing to compare in JS time).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ControlStoreGroup, type ControlStores, type TokenRole, UsageError } from '@oxydra/types';
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
  ): Promise<{ id: string; token: string }>;
  /** Makes a pending token usable (its approval was granted); false if it is gone or revoked. */
  activate(id: string): Promise<boolean>;
  list(): Promise<TokenInfo[]>;
  revoke(id: string, actor: string): Promise<boolean>;
  authenticate(token: string): Promise<Principal | undefined>;
  /**
   * Which of these token ids no longer authenticate (revoked, or gone): what a host holding
   * connections opened with them must end. Sees revocations made by any process on the store.
   */
  unusable(ids: Iterable<string>): Promise<Set<string>>;
  /**
   * Calls `listener` with a token's id once its revocation through this service has committed,
   * so a host ends what the token holds open at once (revocations by other processes: `unusable`).
   */
  onRevoked(listener: (id: string) => void): () => void;
}

const USER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const TOKEN_PREFIX = 'oxt_';

const digestOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** The tokens service as the approvals queue uses it: a revocation inside its transaction. */
export interface HeldTokenCalls extends TokenCalls {
  /** `revoke` inside the caller's transaction of the group (`tx`). */
  revokeIn(tx: ControlStores, id: string, actor: string): Promise<boolean>;
}

/**
 * The tokens service over the control stores (the kernel database's, or PostgreSQL's). A change
 * and its audit entry commit in one transaction of the group (the entry is appended through the
 * transaction's audit store).
 */
export function tokenCalls(
  audit: KernelAudit,
  stores: ControlStoreGroup,
  /** Runs in a revocation's transaction (the schedules it leaves without standing pause). */
  afterRevoke: (tx: ControlStores, id: string) => Promise<unknown> = async () => {},
): HeldTokenCalls {
  const listeners = new Set<(id: string) => void>();
  const revokeIn = async (tx: ControlStores, id: string, actor: string) => {
    const revoked = await tx.tokens.revoke(id, new Date().toISOString());
    if (revoked) {
      await audit.recordIn(tx, actor, 'token_revoke', { id }, `token:${id}`);
      await afterRevoke(tx, id);
    }
    return revoked;
  };
  const told = (id: string) => {
    for (const listener of listeners) {
      try {
        listener(id);
      } catch {
        // A host's listener failing must not undo or hide the revocation itself.
      }
    }
  };
  return {
    async add(user, role, label, actor, options = {}) {
      if (!USER_ID.test(user)) {
        throw new UsageError(`user "${user.slice(0, 80)}": use 1-64 letters, digits, ".", "_", ":" or "-"`);
      }
      if (!ROLES.includes(role)) {
        throw new UsageError(`unknown role "${role}"`, { hint: `roles: ${ROLES.join(', ')}` });
      }
      const id = randomBytes(6).toString('hex');
      const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
      const pending = options.pending === true;
      await stores.transaction(async (tx) => {
        const createdAt = new Date().toISOString();
        await tx.tokens.insert({
          id,
          digest: digestOf(token),
          userId: user,
          role,
          label,
          createdAt,
          pending,
        });
        await audit.recordIn(
          tx,
          actor,
          'token_add',
          { id, user, role, label, ...(pending ? { pending } : {}) },
          `token:${id}`,
        );
      });
      return { id, token };
    },
    async list() {
      return (await stores.tokens.list()).map(
        ({ id, userId, role, label, createdAt, revokedAt, pending }) => ({
          id,
          user: userId,
          role,
          label,
          createdAt,
          revokedAt,
          pending,
        }),
      );
    },
    activate(id) {
      return stores.tokens.activate(id);
    },
    async revoke(id, actor) {
      const revoked = await stores.transaction((tx) => revokeIn(tx, id, actor));
      // Told after the commit: a listener ending connections never acts on a rolled-back revocation.
      if (revoked) told(id);
      return revoked;
    },
    revokeIn,
    async unusable(ids) {
      const wanted = new Set(ids);
      if (wanted.size === 0) return new Set();
      const usable = new Set(
        (await stores.tokens.list())
          .filter((token) => token.revokedAt === null && !token.pending)
          .map((token) => token.id),
      );
      return new Set([...wanted].filter((id) => !usable.has(id)));
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async authenticate(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const found = await stores.tokens.findUsable(digestOf(token));
      if (!found) return undefined;
      const { id: tokenId, userId: user, role } = found;
      return role === 'user' ? { tokenId, role, user } : { tokenId, role };
    },
  };
}
