/**
 * `oxydra token add|list|revoke`: gateway tokens bound to a user and a role (user, operator,
 * admin). A token is printed once, when made; the workspace keeps only its SHA-256.
 */
import { ROLES, type Role } from '@oxydra/kernel/admin';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { printLines } from '../run/print.js';
import { withWorkspaceServices } from '../run/workspace-services.js';

export async function runTokenAdd(options: {
  user?: string;
  role?: string;
  label?: string;
}): Promise<number> {
  if (options.user === undefined) {
    throw new UsageError('--user is required: the user this token acts as', {
      hint: 'e.g. oxydra token add --user alice --role user',
    });
  }
  const role = (options.role ?? 'user') as Role;
  if (!ROLES.includes(role))
    throw new UsageError(`--role: one of ${ROLES.join(', ')}, got "${options.role}"`);
  return withWorkspaceServices(['tokens'], async ({ tokens }) => {
    const { id, token } = await tokens.add(options.user!, role, options.label ?? '', 'cli');
    process.stderr.write(`token ${id} for user ${options.user} (${role}); shown once, store it now:\n`);
    process.stdout.write(`${token}\n`);
    return EXIT_OK;
  });
}

export async function runTokenList(options: { json?: boolean }): Promise<number> {
  return withWorkspaceServices(['tokens'], async ({ tokens }) => {
    const all = await tokens.list();
    if (options.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else if (all.length === 0)
      process.stdout.write('no tokens (the gateway token from `oxydra gateway` is the admin one)\n');
    else
      for (const t of all) {
        // A user name and label may come from a gateway client (an admin token's request).
        printLines(
          `${t.id}  ${t.role.padEnd(8)}  ${t.user}  ${t.createdAt.slice(0, 16).replace('T', ' ')}${t.revokedAt ? '  REVOKED' : t.pending ? '  PENDING APPROVAL' : ''}${t.label ? `  ${t.label}` : ''}\n`,
        );
      }
    return EXIT_OK;
  });
}

export async function runTokenRevoke(id: string): Promise<number> {
  return withWorkspaceServices(['tokens'], async ({ tokens }) => {
    if (!(await tokens.revoke(id, 'cli'))) {
      throw new UsageError(`no active token ${id}`, { hint: 'list them with `oxydra token list`' });
    }
    process.stdout.write(`token ${id} revoked\n`);
    return EXIT_OK;
  });
}
