/** Checkpoints: the runs that changed the workspace and the snapshots, a diff, and undo (admin). */
import { z } from 'zod';
import { ApiError, route } from '../define.js';

const historyOff = () =>
  new ApiError(404, 'checkpoints_off', 'checkpoints are off ([checkpoints] enabled = false)');

export function checkpointRoutes() {
  return [
    route({
      method: 'get',
      path: '/checkpoints',
      tag: 'checkpoints',
      role: 'operator',
      summary: 'Runs that changed the workspace, and the checkpoints',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: z.object({
        runs: z.array(z.record(z.string(), z.unknown())),
        checkpoints: z.array(z.record(z.string(), z.unknown())),
      }),
      handler: async ({ kernel, query }) => {
        const history = kernel.checkpoints;
        if (!history) throw historyOff();
        const [runs, checkpoints] = await Promise.all([history.runs(query.limit), history.list(query.limit)]);
        return {
          runs: runs as unknown as Record<string, unknown>[],
          checkpoints: checkpoints as unknown as Record<string, unknown>[],
        };
      },
    }),
    route({
      method: 'get',
      path: '/checkpoints/{ref}/diff',
      tag: 'checkpoints',
      role: 'operator',
      summary: 'What changed since a checkpoint (or between two)',
      params: z.object({ ref: z.string().min(1).max(200) }),
      query: z.object({ to: z.string().min(1).max(200).optional() }),
      response: z.object({ changes: z.array(z.record(z.string(), z.unknown())) }),
      handler: async ({ kernel, params, query }) => {
        const history = kernel.checkpoints;
        if (!history) throw historyOff();
        const changes = await history.diff(params.ref, query.to);
        return { changes: changes as unknown as Record<string, unknown>[] };
      },
    }),
    route({
      method: 'post',
      path: '/checkpoints/undo',
      tag: 'checkpoints',
      role: 'admin',
      summary: 'Put back what a run (default: the last) changed',
      body: z
        .strictObject({ run: z.string().min(1).max(200).optional(), force: z.boolean().optional() })
        .optional(),
      response: z.record(z.string(), z.unknown()),
      handler: async ({ kernel, body, actor }) => {
        const history = kernel.checkpoints;
        if (!history) throw historyOff();
        const report = await history.undo({
          ...(body?.run !== undefined ? { run: body.run } : {}),
          ...(body?.force !== undefined ? { force: body.force } : {}),
          actor,
        });
        return report as unknown as Record<string, unknown>;
      },
    }),
  ];
}
