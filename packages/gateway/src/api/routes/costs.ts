/** GET /costs: spend from the usage log grouped by UTC day, agent, model, user or session. */
import { COST_GROUPS } from '@oxydra/kernel/admin';
import { z } from 'zod';
import { route } from '../define.js';

const totals = {
  calls: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  cost_usd: z.number().describe('dollars of the calls whose price is known'),
  unknown_cost_calls: z.number().describe('calls of models without catalog prices: not in cost_usd'),
};

export function costRoutes() {
  return [
    route({
      method: 'get',
      path: '/costs',
      tag: 'costs',
      summary: 'Spend grouped by day, agent, model, user or session (a user token: its own)',
      query: z.object({
        by: z.enum(COST_GROUPS).default('day'),
        since: z.string().max(40).optional().describe('ISO time or date'),
        until: z.string().max(40).optional(),
        user_id: z.string().max(64).optional().describe('operator and admin tokens: one user'),
      }),
      response: z
        .object({
          by: z.enum(COST_GROUPS),
          since: z.string().optional(),
          until: z.string().optional(),
          user_id: z.string().optional().describe('the one user reported on, when only one'),
          rows: z.array(z.object({ key: z.string(), ...totals })),
          totals: z.object(totals),
        })
        .meta({ id: 'CostReport' }),
      handler: async ({ kernel, query, user }) => {
        const userId = user ?? query.user_id;
        const { userId: reported, ...report } = await (await kernel.service('costs')).report({
          by: query.by,
          ...(query.since !== undefined ? { since: query.since } : {}),
          ...(query.until !== undefined ? { until: query.until } : {}),
          ...(userId !== undefined ? { userId } : {}),
        });
        return { ...report, ...(reported !== undefined ? { user_id: reported } : {}) };
      },
    }),
  ];
}
