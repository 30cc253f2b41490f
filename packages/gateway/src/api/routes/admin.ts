/**
 * The kernel's admin services: the audit chain (list, verify), spending caps (read; change:
 * admin, raising or removing a cap in force queued for a second person), and that queue
 * (approve, reject). Same rules as the /v1 admin routes, which stay for existing clients.
 */
import { type AdminApproval, CAP_KEYS } from '@oxydra/kernel';
import { z } from 'zod';
import { ApiError, route } from '../define.js';
import { auditEntrySchema, idParams } from '../schemas.js';

const approvalSchema = z
  .object({
    id: z.string(),
    op: z.string(),
    params: z.record(z.string(), z.unknown()),
    requested_by: z.string(),
    requested_at: z.string(),
    expires_at: z.string(),
    status: z.string(),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'AdminApproval' });

const approvalJson = (a: AdminApproval) => ({
  id: a.id,
  op: a.operation.op,
  params: { ...a.operation } as Record<string, unknown>,
  requested_by: a.requestedBy,
  requested_at: a.requestedAt,
  expires_at: a.expiresAt,
  status: a.status,
  decided_by: a.decidedBy ?? null,
  decided_at: a.decidedAt ?? null,
  reason: a.reason ?? null,
});

export function adminRoutes() {
  return [
    route({
      method: 'get',
      path: '/audit',
      tag: 'audit',
      role: 'admin',
      summary: 'Read the audit chain',
      query: z.object({
        agent: z.string().max(200).optional(),
        type: z.string().max(64).optional(),
        since: z.iso.datetime().optional(),
        limit: z.coerce.number().int().min(1).max(10_000).default(100),
      }),
      response: z.object({ entries: z.array(auditEntrySchema) }),
      handler: ({ kernel, query }) => ({
        entries: kernel.audit
          .list({
            ...(query.agent !== undefined ? { agent: query.agent } : {}),
            ...(query.type !== undefined ? { type: query.type } : {}),
            ...(query.since !== undefined ? { since: query.since } : {}),
            limit: query.limit,
          })
          .map((entry) => ({
            seq: entry.seq,
            ts: entry.ts,
            actor: entry.actor,
            action: entry.action as { type: string; data: Record<string, unknown> },
            resource: entry.resource,
            hash: entry.hash,
          })),
      }),
    }),
    route({
      method: 'get',
      path: '/audit/verify',
      tag: 'audit',
      role: 'admin',
      summary: 'Verify the audit chain',
      response: z.object({
        ok: z.boolean(),
        entries: z.number(),
        first: z.number().optional(),
        last: z.number().optional(),
        problems: z.array(z.record(z.string(), z.unknown())),
      }),
      handler: ({ kernel }) => kernel.audit.verify(),
    }),
    route({
      method: 'get',
      path: '/budgets',
      tag: 'budgets',
      summary: 'Spending caps and spend (a user token: its own user)',
      response: z.object({ budgets: z.array(z.record(z.string(), z.unknown())) }),
      handler: ({ kernel, user }) => {
        const all = kernel.budgets.show();
        return { budgets: user === undefined ? all : all.filter((b) => b.scope === `user:${user}`) };
      },
    }),
    route({
      method: 'put',
      path: '/budgets',
      tag: 'budgets',
      role: 'admin',
      summary: 'Set or remove a spending cap',
      body: z.strictObject({
        user: z.string().min(1).max(64).optional(),
        agent: z.string().min(1).max(64).optional(),
        key: z.enum(CAP_KEYS),
        value: z.number().positive().nullable().describe('null removes the cap'),
      }),
      response: z.object({ status: z.literal('applied') }),
      alternatives: {
        202: {
          description: 'raising or removing a cap in force waits for a second person',
          response: z.object({ status: z.literal('pending_approval'), approval: approvalSchema }),
        },
      },
      handler: ({ kernel, body, actor, reply }) => {
        if ((body.user === undefined) === (body.agent === undefined)) {
          throw new ApiError(400, 'invalid_request', 'name one of "user" or "agent"');
        }
        const target = body.user !== undefined ? { user: body.user } : { agent: body.agent! };
        if (kernel.adminApprovals.capChangeNeedsApproval(target, body.key, body.value)) {
          const approval = kernel.adminApprovals.request(
            { op: 'budget_set', target, key: body.key, value: body.value },
            actor,
          );
          reply.code(202);
          return reply.send({ status: 'pending_approval', approval: approvalJson(approval) });
        }
        kernel.budgets.set(target, body.key, body.value ?? undefined, actor);
        return { status: 'applied' as const };
      },
    }),
    route({
      method: 'get',
      path: '/approvals',
      tag: 'approvals',
      role: 'admin',
      summary: 'Admin operations waiting for a second person',
      query: z.object({ all: z.stringbool().default(false) }),
      response: z.object({ approvals: z.array(approvalSchema) }),
      handler: ({ kernel, query }) => ({
        approvals: kernel.adminApprovals.list({ all: query.all }).map((a) => approvalJson(a)),
      }),
    }),
    route({
      method: 'post',
      path: '/approvals/{id}/approve',
      tag: 'approvals',
      role: 'admin',
      summary: 'Carry out a waiting operation',
      params: idParams,
      response: z.object({ approval: approvalSchema }),
      handler: ({ kernel, params, actor }) => ({
        approval: approvalJson(kernel.adminApprovals.approve(params.id, actor)),
      }),
    }),
    route({
      method: 'post',
      path: '/approvals/{id}/reject',
      tag: 'approvals',
      role: 'admin',
      summary: 'Refuse a waiting operation',
      params: idParams,
      body: z.strictObject({ reason: z.string().max(500).optional() }).optional(),
      response: z.object({ approval: approvalSchema }),
      handler: ({ kernel, params, body, actor }) => ({
        approval: approvalJson(kernel.adminApprovals.reject(params.id, actor, body?.reason)),
      }),
    }),
  ];
}
