/**
 * Gateway tokens as a store contract: each bound to one user and one role, stored by the
 * SHA-256 digest of its secret only (the secret is never stored, so a lookup is by digest).
 * The kernel database is the embedded default (packages/kernel/src/store/libsql/tokens.ts);
 * PostgreSQL (issue 33) implements the same interface and passes the suite in
 * @oxydra/testkit/store-contracts. Every method is one atomic unit, also across processes
 * sharing the store. The service (the kernel's tokens.ts) checks input and makes ids,
 * secrets and times; the store keeps what it is given exactly.
 */
import type { StoreAnswer, StoreMode } from './answer.js';

export type TokenRole = 'user' | 'operator' | 'admin';

export interface StoredToken {
  id: string;
  userId: string;
  role: TokenRole;
  label: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC; null while the token is not revoked. */
  revokedAt: string | null;
  /** Waiting for a second person's approval: unusable until activated. */
  pending: boolean;
}

export interface NewToken {
  id: string;
  /** The secret's SHA-256 as lower-case hex. */
  digest: string;
  userId: string;
  role: TokenRole;
  label: string;
  createdAt: string;
  pending: boolean;
}

/** Whether a user may still act: how many tokens they hold, how many usable, the last revocation. */
export interface TokenStanding {
  total: number;
  /** Neither revoked nor pending. */
  usable: number;
  /** The latest revokedAt of the user's tokens, null when none was revoked. */
  lastRevokedAt: string | null;
}

export interface TokenStore<M extends StoreMode = 'async'> {
  /** Stores a new token; an id or digest that exists already is refused (nothing changes). */
  insert(token: NewToken): StoreAnswer<void, M>;
  get(id: string): StoreAnswer<StoredToken | undefined, M>;
  /** Every token, oldest first. */
  list(): StoreAnswer<StoredToken[], M>;
  /** The usable token (neither revoked nor pending) whose secret has this digest. */
  findUsable(digest: string): StoreAnswer<StoredToken | undefined, M>;
  /** Makes a pending token usable; false when it is missing, not pending or revoked. */
  activate(id: string): StoreAnswer<boolean, M>;
  /** Revokes a token at `at` (ISO); false when it is missing or revoked already (the first time stays). */
  revoke(id: string, at: string): StoreAnswer<boolean, M>;
  standing(userId: string): StoreAnswer<TokenStanding, M>;
}
