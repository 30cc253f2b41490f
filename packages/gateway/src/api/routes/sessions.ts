/**
 * Stored sessions: list (search by name or id), one with its transcript, export as Markdown or
 * JSONL, delete. A user token sees only its own user's sessions; another's is "not found".
 */
import { type Kernel, mayUse } from '@oxydra/kernel';
import { z } from 'zod';
import { sessionSummary } from '../../session-summary.js';
import { ApiError, notFound, route } from '../define.js';
import { idParams, sessionSchema } from '../schemas.js';
import { specRecordJson, specRecordSchema } from '../spec-record.js';

const listQuery = z.object({
  q: z
    .string()
    .max(200)
    .optional()
    .describe(
      'only sessions whose name or id contains this text, taken literally (`%` and `_` are not wildcards; ASCII letters match either case)',
    ),
  user_id: z.string().max(64).optional(),
  include_archived: z.stringbool().default(false),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

function memoryOn(kernel: Kernel): void {
  if (!kernel.config.memory.enabled)
    throw new ApiError(404, 'memory_off', 'memory is off: no sessions are stored');
}

/** The session, when the asking user may see it (the kernel's rule: another's is "not found"). */
async function visible(kernel: Kernel, id: string, user: string | undefined) {
  memoryOn(kernel); // memory off: 404 memory_off, before any lookup
  const session = await (await kernel.service('sessionAccess')).get(id, { userId: user });
  if (!session) throw notFound(`session ${id.slice(0, 80)}`);
  return session;
}

export function sessionRoutes() {
  return [
    route({
      method: 'get',
      path: '/sessions',
      tag: 'sessions',
      summary: 'List sessions',
      query: listQuery,
      response: z.object({ sessions: z.array(sessionSchema) }),
      handler: async ({ kernel, query, user }) => {
        if (query.user_id !== undefined && !mayUse(query.user_id, { userId: user })) {
          throw new ApiError(403, 'forbidden', `this token acts as user ${user}`);
        }
        memoryOn(kernel); // memory off: 404 memory_off
        // The store searches (SQL LIKE, the text taken literally) and pages in one query.
        const matching = await (await kernel.service('sessionAccess')).list(
          {
            ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
            ...(query.include_archived ? {} : { archived: false }),
            ...(query.q ? { search: query.q } : {}),
            limit: query.limit,
            offset: query.offset,
          },
          { userId: user },
        );
        return {
          sessions: matching.map((session) => ({
            ...sessionSummary(session),
            user_id: session.userId ?? null,
            message_count: session.messageCount,
          })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/sessions/{id}',
      tag: 'sessions',
      summary: 'One session, its transcript and its spec run',
      params: idParams,
      response: z.object({
        session: sessionSchema,
        messages: z.array(z.record(z.string(), z.unknown())),
        spec: specRecordSchema
          .nullable()
          .describe(
            "the session's spec run: directive, attempts with per-criterion results (docs/spec-runs.md)",
          ),
      }),
      handler: async ({ kernel, params, user }) => {
        const session = await visible(kernel, params.id, user);
        const access = await kernel.service('sessionAccess');
        const [messages, spec] = await Promise.all([
          access.messages(session.id, { userId: user }),
          access.specRecord(session.id, { userId: user }),
        ]);
        return {
          session: { ...sessionSummary(session), user_id: session.userId ?? null },
          messages,
          spec: spec ? specRecordJson(spec) : null,
        };
      },
    }),
    route({
      method: 'get',
      path: '/sessions/{id}/export',
      tag: 'sessions',
      summary: 'Export a session (Markdown or JSONL)',
      params: idParams,
      query: z.object({ format: z.enum(['markdown', 'jsonl']).default('markdown') }),
      produces: 'text/markdown',
      handler: async ({ kernel, params, query, user, reply }) => {
        const session = await visible(kernel, params.id, user);
        const markdown = query.format === 'markdown';
        const text = await (await kernel.service('sessionAccess')).export(session.id, query.format, {
          userId: user,
        });
        return reply
          .header(
            'content-type',
            markdown ? 'text/markdown; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
          )
          .header('content-disposition', `attachment; filename="${session.id}.${markdown ? 'md' : 'jsonl'}"`)
          .send(text);
      },
    }),
    route({
      method: 'delete',
      path: '/sessions/{id}',
      tag: 'sessions',
      summary: 'Delete a session',
      params: idParams,
      response: z.object({ deleted: z.literal(true) }),
      handler: async ({ kernel, params, user }) => {
        const session = await visible(kernel, params.id, user);
        if (
          kernel.agents.list().some((agent) => agent.sessionId === session.id && agent.status !== 'completed')
        ) {
          throw new ApiError(409, 'session_busy', 'an agent is running in this session; cancel it first');
        }
        await (await kernel.service('sessionAccess')).delete(session.id, { userId: user });
        return { deleted: true as const };
      },
    }),
  ];
}
