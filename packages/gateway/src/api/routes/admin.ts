/**
 * The kernel's admin services: the audit chain (list, verify), spending caps (read; change:
 * admin, raising or removing a cap in force queued for a second person), and that queue
 * (approve, reject). What each does is admin-ops.ts's, shared with the /v1 admin routes that
 * stay for existing clients; here the answers are snake_case.
 */
import { z } from 'zod';
import {
  approveApproval,
  auditEntries,
  auditFilterFields,
  capChangeSchema,
  changeCap,
  listApprovals,
  rejectApproval,
  rejectionSchema,
  verifyAudit,
  visibleBudgets,
} from '../../admin-ops.js';
import { route } from '../define.js';
import {
  approvalJson,
  approvalSchema,
  auditEntrySchema,
  budgetJson,
  budgetSchema,
  idParams,
} from '../schemas.js';

export function adminRoutes() {
  return [
    route({
      method: 'get',
      path: '/audit',
      tag: 'audit',
      role: 'admin',
      summary: 'Read the audit chain',
      query: z.object(auditFilterFields),
      response: z.object({ entries: z.array(auditEntrySchema) }),
      handler: async ({ kernel, query }) => ({
        entries: (await auditEntries(kernel, query)).map((entry) => ({
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
        problems: z.array(z.object({ seq: z.number(), kind: z.string(), message: z.string() })),
      }),
      handler: ({ kernel }) => verifyAudit(kernel),
    }),
    route({
      method: 'get',
      path: '/budgets',
      tag: 'budgets',
      summary: 'Spending caps and spend (a user token: its own user)',
      response: z.object({ budgets: z.array(budgetSchema) }),
      handler: async ({ kernel, user }) => ({
        budgets: (await visibleBudgets(kernel, user)).map(budgetJson),
      }),
    }),
    route({
      method: 'put',
      path: '/budgets',
      tag: 'budgets',
      role: 'admin',
      summary: 'Set or remove a spending cap',
      body: capChangeSchema,
      response: z.object({ status: z.literal('applied') }),
      alternatives: {
        202: {
          description: 'raising or removing a cap in force waits for a second person',
          response: z.object({ status: z.literal('pending_approval'), approval: approvalSchema }),
        },
      },
      handler: async ({ kernel, body, actor, reply }) => {
        const outcome = await changeCap(kernel, body, actor);
        if (outcome.status === 'applied') return { status: 'applied' as const };
        return reply.code(202).send({ status: 'pending_approval', approval: approvalJson(outcome.approval) });
      },
    }),
    route({
      method: 'get',
      path: '/approvals',
      tag: 'approvals',
      role: 'admin',
      summary: 'Admin operations waiting for a second person',
      query: z.object({
        all: z.stringbool().default(false).describe('every request, decided ones too (newest first)'),
      }),
      response: z.object({ approvals: z.array(approvalSchema) }),
      handler: async ({ kernel, query }) => ({
        approvals: (await listApprovals(kernel, query.all)).map(approvalJson),
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
      handler: async ({ kernel, params, actor }) => ({
        approval: approvalJson(await approveApproval(kernel, params.id, actor)),
      }),
    }),
    route({
      method: 'post',
      path: '/approvals/{id}/reject',
      tag: 'approvals',
      role: 'admin',
      summary: 'Refuse a waiting operation',
      params: idParams,
      body: rejectionSchema,
      response: z.object({ approval: approvalSchema }),
      handler: async ({ kernel, params, body, actor }) => ({
        approval: approvalJson(await rejectApproval(kernel, params.id, actor, body?.reason)),
      }),
    }),
  ];
}
