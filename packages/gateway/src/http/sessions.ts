/**
 * REST over stored sessions: GET /v1/sessions (optionally one user's, archived ones included on
 * request), GET /v1/sessions/:id (the record and its transcript), DELETE /v1/sessions/:id.
 */
import type { AccessScope } from '@oxydra/kernel';
import { sessionListQuerySchema } from '@oxydra/types/gateway';
import type { FastifyInstance } from 'fastify';
import { actingUser, type Principal, principalOf } from '../auth.js';
import { GatewayError, HTTP_STATUS } from '../errors.js';
import type { GatewayHub } from '../hub.js';
import { sessionSummary } from '../session-summary.js';
import { describeIssues, replyError } from './reply-error.js';

/** Session ids are at most this long; a longer one names no session. */
const MAX_ID_CHARS = 200;

export function registerSessionRoutes(app: FastifyInstance, hub: GatewayHub): void {
  app.get('/v1/sessions', async (request, reply) => {
    const query = sessionListQuerySchema().safeParse(request.query);
    if (!query.success) return replyError(reply, 400, 'invalid_request', describeIssues(query.error));
    const { user_id, include_archived, include_subagents, limit, offset } = query.data;
    let userId: string | undefined;
    try {
      // A user token lists only its own user's sessions, whatever it asks for.
      userId = actingUser(principalOf(request.raw), user_id);
    } catch (error) {
      if (error instanceof GatewayError)
        return replyError(reply, HTTP_STATUS[error.code], error.code, error.message);
      throw error;
    }
    const sessions = await hub.access.list(
      {
        ...(userId !== undefined ? { userId } : {}),
        ...(include_archived ? {} : { archived: false }),
        subagents: include_subagents,
        limit,
        offset,
      },
      scopeOf(principalOf(request.raw)),
    );
    return {
      sessions: sessions.map((session) => ({
        ...sessionSummary(session),
        user_id: session.userId ?? null,
        message_count: session.messageCount,
      })),
    };
  });

  app.get<{ Params: { id: string } }>('/v1/sessions/:id', async (request, reply) => {
    const { id } = request.params;
    // Another user's session is, to a user token, a session that does not exist (the kernel's rule).
    const session =
      id.length <= MAX_ID_CHARS ? await hub.access.get(id, scopeOf(principalOf(request.raw))) : undefined;
    if (!session) return replyError(reply, 404, 'session_not_found', `session ${id.slice(0, 80)} not found`);
    const messages = await hub.store.loadMessages(session.id);
    return { session: { ...sessionSummary(session), user_id: session.userId ?? null }, messages };
  });

  app.delete<{ Params: { id: string } }>('/v1/sessions/:id', async (request, reply) => {
    const { id } = request.params;
    try {
      const deleted =
        id.length <= MAX_ID_CHARS &&
        (await hub.access.get(id, scopeOf(principalOf(request.raw)))) !== undefined &&
        (await hub.deleteSession(id));
      if (!deleted)
        return replyError(reply, 404, 'session_not_found', `session ${id.slice(0, 80)} not found`);
      return reply.code(204).send();
    } catch (error) {
      if (error instanceof GatewayError)
        return replyError(reply, HTTP_STATUS[error.code], error.code, error.message);
      throw error;
    }
  });
}

/** A user token acts for its user; an owner or admin token (no user) for the workspace's owner. */
function scopeOf(principal: Principal): AccessScope {
  return { userId: principal.user };
}
