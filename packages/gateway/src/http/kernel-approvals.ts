/**
 * Admin operations that wait for a second person, and the tokens they concern, over REST (all
 * admin): GET/POST/DELETE /v1/tokens (an admin token asked for here is returned at once but
 * stays unusable until approved: 202), GET /v1/approvals[?all=true], POST
 * /v1/approvals/:id/approve and /reject ({"reason"}). Nobody decides their own request. The
 * kernel's own records, camelCase, as these routes always answered; what each does is
 * admin-ops.ts's, shared with /api/v1.
 */
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  approveApproval,
  listApprovals,
  listTokens,
  makeToken,
  rejectApproval,
  rejectionSchema,
  revokeToken,
  tokenRequestSchema,
} from '../admin-ops.js';
import { principalOf, requireRole } from '../auth.js';
import { describeIssues, replyError, replyRefused } from './reply-error.js';

const listQuery = z.strictObject({ all: z.enum(['true', 'false']).optional() });
const idParams = z.strictObject({ id: z.string().min(1).max(64) });

/** The admin acting, as the audit chain names it; undefined once a refusal was sent. */
function adminActor(request: FastifyRequest, reply: FastifyReply, what: string): string | undefined {
  const principal = principalOf(request.raw);
  try {
    requireRole(principal, 'admin', what);
  } catch (error) {
    replyRefused(reply, error);
    return undefined;
  }
  return `token:${principal.tokenId}`;
}

export function registerKernelApprovalRoutes(app: FastifyInstance, kernel: Kernel): void {
  app.get('/v1/tokens', async (request, reply) => {
    if (adminActor(request, reply, 'listing tokens') === undefined) return reply;
    return { tokens: await listTokens(kernel) };
  });

  app.post('/v1/tokens', async (request, reply) => {
    const actor = adminActor(request, reply, 'making a token');
    if (actor === undefined) return reply;
    const parsed = tokenRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return replyError(reply, 400, 'invalid_request', describeIssues(parsed.error));
    try {
      // An admin token made over the network waits for a second person before it works.
      const made = await makeToken(kernel, parsed.data, actor);
      return reply.code(made.status === 'active' ? 201 : 202).send(made);
    } catch (error) {
      return replyRefused(reply, error);
    }
  });

  app.delete('/v1/tokens/:id', async (request, reply) => {
    const actor = adminActor(request, reply, 'revoking a token');
    if (actor === undefined) return reply;
    const params = idParams.safeParse(request.params);
    if (!params.success) return replyError(reply, 400, 'invalid_request', describeIssues(params.error));
    if (!(await revokeToken(kernel, params.data.id, actor)))
      return replyError(reply, 404, 'not_found', `no active token ${params.data.id}`);
    return { ok: true };
  });

  app.get('/v1/approvals', async (request, reply) => {
    if (adminActor(request, reply, 'listing approval requests') === undefined) return reply;
    const query = listQuery.safeParse(request.query);
    if (!query.success) return replyError(reply, 400, 'invalid_request', describeIssues(query.error));
    return { approvals: await listApprovals(kernel, query.data.all === 'true') };
  });

  app.post('/v1/approvals/:id/approve', async (request, reply) => {
    const actor = adminActor(request, reply, 'approving an admin operation');
    if (actor === undefined) return reply;
    const params = idParams.safeParse(request.params);
    if (!params.success) return replyError(reply, 400, 'invalid_request', describeIssues(params.error));
    try {
      return { approval: await approveApproval(kernel, params.data.id, actor) };
    } catch (error) {
      return replyRefused(reply, error);
    }
  });

  app.post('/v1/approvals/:id/reject', async (request, reply) => {
    const actor = adminActor(request, reply, 'rejecting an admin operation');
    if (actor === undefined) return reply;
    const params = idParams.safeParse(request.params);
    const body = rejectionSchema.safeParse(request.body ?? undefined);
    if (!params.success) return replyError(reply, 400, 'invalid_request', describeIssues(params.error));
    if (!body.success) return replyError(reply, 400, 'invalid_request', describeIssues(body.error));
    try {
      return { approval: await rejectApproval(kernel, params.data.id, actor, body.data?.reason) };
    } catch (error) {
      return replyRefused(reply, error);
    }
  });
}
