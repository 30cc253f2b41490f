/**
 * The kernel's services over REST, by role: GET /v1/budgets (operator or admin; a user token
 * sees its own user's), PUT /v1/budgets (admin: a cap change, audited with the token; raising
 * or removing a cap in force is queued for approval, 202),
 * GET /v1/audit and GET /v1/audit/verify (admin). The kernel's own records, camelCase, as these
 * routes always answered; what each does is admin-ops.ts's, shared with /api/v1.
 */
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  auditEntries,
  auditFilterFields,
  capChangeSchema,
  changeCap,
  verifyAudit,
  visibleBudgets,
} from '../admin-ops.js';
import { principalOf, requireRole } from '../auth.js';
import { describeIssues, replyError, replyRefused } from './reply-error.js';

const auditQuery = z.strictObject(auditFilterFields);

export function registerKernelAdminRoutes(app: FastifyInstance, kernel: Kernel): void {
  app.get('/v1/budgets', async (request) => ({
    budgets: await visibleBudgets(kernel, principalOf(request.raw).user),
  }));

  app.put('/v1/budgets', async (request, reply) => {
    const principal = principalOf(request.raw);
    try {
      requireRole(principal, 'admin', 'changing a budget');
    } catch (error) {
      return replyRefused(reply, error);
    }
    const parsed = capChangeSchema.safeParse(request.body);
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    try {
      const outcome = await changeCap(kernel, parsed.data, `token:${principal.tokenId}`);
      if (outcome.status === 'pending_approval')
        return reply.code(202).send({ ok: false, status: 'pending_approval', approval: outcome.approval });
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
    return { entries: await auditEntries(kernel, query.data) };
  });

  app.get('/v1/audit/verify', async (request, reply) => {
    try {
      requireRole(principalOf(request.raw), 'admin', 'verifying the audit chain');
    } catch (error) {
      return replyRefused(reply, error);
    }
    return verifyAudit(kernel);
  });
}
