/**
 * Who each request is. The owner's token (the gateway token) is an admin acting for any user;
 * a stored token (`oxydra token add`) is bound to its user and role. A `user` token acts only
 * as its user: naming another is refused, and what it reads is only that user's.
 */
import type { IncomingMessage } from 'node:http';
import { type Holder, mayUse } from '@oxydra/kernel';
import type { Principal, Role } from '@oxydra/kernel/admin';
import { GatewayError } from './errors.js';

export type { Principal };

export const OWNER: Principal = { tokenId: 'owner', role: 'admin' };

const principals = new WeakMap<IncomingMessage, Principal>();

export function rememberPrincipal(request: IncomingMessage, principal: Principal): void {
  principals.set(request, principal);
}

/** The authenticated principal of a request that passed the auth hook. */
export function principalOf(request: IncomingMessage): Principal {
  const principal = principals.get(request);
  if (!principal) throw new Error('request reached a route without an authenticated principal');
  return principal;
}

const RANK: Record<Role, number> = { user: 0, operator: 1, admin: 2 };

/** Refuses a principal below `role` (admin-only operations). */
export function requireRole(principal: Principal, role: Role, what: string): void {
  if (RANK[principal.role] < RANK[role]) {
    throw new GatewayError(
      'forbidden',
      `${what} needs the ${role} role; this token's role is ${principal.role}`,
    );
  }
}

/** The user a request acts as: a `user` token's own, else the one it names (or the default). */
export function actingUser(principal: Principal, named: string | undefined): string | undefined {
  if (principal.user === undefined) return named;
  // Acting as a user is using what that user owns: the kernel's rule decides.
  if (named !== undefined && !mayUse(named, { userId: principal.user })) {
    throw new GatewayError(
      'forbidden',
      `this token acts as user ${principal.user}; it cannot act as ${JSON.stringify(named.slice(0, 80))}`,
    );
  }
  return principal.user;
}

/**
 * Whose slots an A2A task or MCP run_agent takes (the kernel's per-user limit): a user token's
 * user, shared with that user's chat turns and scheduled runs; a token acting for no user (owner,
 * admin) its own, so one such token cannot starve the others.
 */
export function runHolder(principal: Principal): Holder {
  return principal.user !== undefined ? { userId: principal.user } : { tokenId: principal.tokenId };
}
