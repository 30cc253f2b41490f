/** Memory: hybrid search, the notes, adding and deleting one; a user token's own notes only. */
import { z } from 'zod';
import { hitJson } from '../../memory-hit.js';
import { notFound, route } from '../define.js';
import { idParams, noteSchema } from '../schemas.js';

const noteJson = (note: {
  id: string;
  content: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}) => ({
  id: note.id,
  text: note.content,
  tags: note.tags,
  created_at: note.createdAt,
  updated_at: note.updatedAt,
});

const scopeOf = (user: string | undefined) => (user !== undefined ? { userId: user } : {});

export function memoryRoutes() {
  return [
    route({
      method: 'get',
      path: '/memory/search',
      tag: 'memory',
      summary: 'Search notes and conversations',
      query: z.object({
        q: z.string().min(1).max(2000),
        top_k: z.coerce.number().int().min(1).max(100).default(8),
      }),
      response: z.object({
        results: z.array(
          z.object({
            text: z.string(),
            source: z.enum(['note', 'conversation']),
            score: z.number(),
            note_id: z.string().nullable(),
            session_id: z.string().nullable(),
            tags: z.array(z.string()),
          }),
        ),
      }),
      handler: async ({ kernel, query, user }) => ({
        results: (
          await (await kernel.service('memory')).recall(query.q, { topK: query.top_k, ...scopeOf(user) })
        ).map(hitJson),
      }),
    }),
    route({
      method: 'get',
      path: '/memory/notes',
      tag: 'memory',
      summary: 'List notes, newest first',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(500).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      response: z.object({ notes: z.array(noteSchema) }),
      handler: async ({ kernel, query, user }) => ({
        notes: (
          await (
            await kernel.service('memory')
          ).notes({ limit: query.limit, offset: query.offset, ...scopeOf(user) })
        ).map(noteJson),
      }),
    }),
    route({
      method: 'post',
      path: '/memory/notes',
      tag: 'memory',
      summary: 'Add a note',
      body: z.strictObject({ text: z.string().min(1), tags: z.array(z.string()).optional() }),
      status: 201,
      response: z.object({ note: noteSchema }),
      handler: async ({ kernel, body, user }) => ({
        note: noteJson(
          await (await kernel.service('memory')).remember(body.text, {
            ...(body.tags ? { tags: body.tags } : {}),
            ...scopeOf(user),
          }),
        ),
      }),
    }),
    route({
      method: 'delete',
      path: '/memory/notes/{id}',
      tag: 'memory',
      summary: 'Delete a note',
      params: idParams,
      response: z.object({ deleted: z.literal(true) }),
      handler: async ({ kernel, params, user }) => {
        if (!(await (await kernel.service('memory')).forget(params.id, scopeOf(user))))
          throw notFound(`note ${params.id.slice(0, 80)}`);
        return { deleted: true as const };
      },
    }),
  ];
}
