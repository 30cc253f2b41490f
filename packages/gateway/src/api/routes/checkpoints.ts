/** Checkpoints: the runs that changed the workspace and the snapshots, a diff, and undo (admin). */
import { z } from 'zod';
import { ApiError, route } from '../define.js';
import {
  checkpointJson,
  checkpointRunJson,
  checkpointRunSchema,
  checkpointSchema,
  fileChangeSchema,
  undoReportJson,
  undoReportSchema,
} from '../schemas.js';

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
        runs: z.array(checkpointRunSchema).describe('newest first'),
        checkpoints: z.array(checkpointSchema).describe('newest first'),
      }),
      handler: async ({ kernel, query }) => {
        const history = await kernel.service('checkpoints');
        if (!history) throw historyOff();
        const [runs, checkpoints] = await Promise.all([history.runs(query.limit), history.list(query.limit)]);
        return { runs: runs.map(checkpointRunJson), checkpoints: checkpoints.map(checkpointJson) };
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
      response: z.object({ changes: z.array(fileChangeSchema) }),
      handler: async ({ kernel, params, query }) => {
        const history = await kernel.service('checkpoints');
        if (!history) throw historyOff();
        const changes = await history.diff(params.ref, query.to);
        return { changes: changes.map((change) => ({ path: change.path, status: change.status })) };
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
      response: undoReportSchema,
      handler: async ({ kernel, body, actor }) => {
        const history = await kernel.service('checkpoints');
        if (!history) throw historyOff();
        const report = await history.undo({
          ...(body?.run !== undefined ? { run: body.run } : {}),
          ...(body?.force !== undefined ? { force: body.force } : {}),
          actor,
        });
        return undoReportJson(report);
      },
    }),
  ];
}
