/**
 * The kernel's services over REST, by role: GET /v1/budgets (operator or admin; a user token
 * sees its own user's), PUT /v1/budgets (admin: a cap change, audited with the token; raising
 * or removing a cap in force is queued for approval, 202),
 * GET /v1/audit and GET /v1/audit/verify (admin).
 */
import { CAP_KEYS, type Kernel } from '@oxydra/kernel';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { principalOf, requireRole } from '../principal.js';
import { describeIssues, replyError, replyRefused } from './reply-error.js';

const capChange = z.strictObject({
  user: z.string().min(1).max(64).optional(),
  agent: z.string().min(1).max(64).optional(),
  key: z.enum(CAP_KEYS),
  /** null removes the cap (the configuration's applies). */
  value: z.number().positive().nullable(),
});

const auditQuery = z.strictObject({
  agent: z.string().max(200).optional(),
  type: z.string().max(64).optional(),
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export function registerKernelAdminRoutes(app: FastifyInstance, kernel: Kernel): void {
  app.get('/v1/budgets', async (request) => {
    const principal = principalOf(request.raw);
    const all = kernel.budgets.show();
    return {
      budgets: principal.user === undefined ? all : all.filter((b) => b.scope === `user:${principal.user}`),
    };
  });

  app.put('/v1/budgets', async (request, reply) => {
    const principal = principalOf(request.raw);
    try {
      requireRole(principal, 'admin', 'changing a budget');
    } catch (error) {
      return replyRefused(reply, error);
    }
    const parsed = capChange.safeParse(request.body);
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    const { user, agent, key, value } = parsed.data;
    if ((user === undefined) === (agent === undefined)) {
      return replyError(reply, 400, 'invalid_request', 'name one of "user" or "agent"');
    }
    const target = user !== undefined ? { user } : { agent: agent! };
    const actor = `token:${principal.tokenId}`;
    try {
      // Raising or removing a cap in force waits for a second person (the approvals queue).
      if (kernel.adminApprovals.capChangeNeedsApproval(target, key, value)) {
        const approval = kernel.adminApprovals.request({ op: 'budget_set', target, key, value }, actor);
        return reply.code(202).send({ ok: false, status: 'pending_approval', approval });
      }
      kernel.budgets.set(target, key, value ?? undefined, actor);
    } catch (error) {
      return replyRefused(reply, error);
    }
    return { ok: true, status: 'applied' };
  });

  app.get('/v1/audit', async (request, reply) => {
    try {
      requireRole(principalOf(request.raw), 'admin', 'reading the audit chain');
    } catch (error) {
      return replyRefused(reply, error);
    }
    const query = auditQuery.safeParse(request.query);
    if (!query.success) return replyError(reply, 400, 'invalid_request', describeIssues(query.error));
    const { agent, type, since, limit } = query.data;
    return {
      entries: kernel.audit.list({
        ...(agent !== undefined ? { agent } : {}),
        ...(type !== undefined ? { type } : {}),
        ...(since !== undefined ? { since } : {}),
        limit,
      }),
    };
  });

  app.get('/v1/audit/verify', async (request, reply) => {
    try {
      requireRole(principalOf(request.raw), 'admin', 'verifying the audit chain');
    } catch (error) {
      return replyRefused(reply, error);
    }
    return kernel.audit.verify();
  });
}
