/**
 * Oxydra as an MCP server over Streamable HTTP at /mcp, behind the gateway's token: each MCP
 * session (its `mcp-session-id`) has its own server acting as the token's user, and belongs to
 * the token that opened it (another token gets a 404 for it). Sessions end on DELETE, when the
 * token is revoked or when the gateway closes, which also cancels their running tools (run_agent's agent). Clients often just
 * go away without a DELETE, so at most MAX_MCP_SESSIONS are kept: a new one then replaces the least
 * recently used session that has no request or stream open (its client, if any, gets a 404 and
 * starts over, as the protocol says); when every one is busy, the new one is refused (429). A
 * `user` token has at most MAX_MCP_SESSIONS_PER_USER_TOKEN of them, replaced the same way among
 * its own, so one user cannot fill the table and have everyone else refused.
 */
import { randomUUID } from 'node:crypto';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf, runHolder } from '../auth.js';
import { publicFailure, publicRunError } from '../errors.js';
import { replyError } from '../http/reply-error.js';
import { answeredAsStream } from '../request-slots.js';
import type { HoldRun } from '../token-holds.js';
import type { GatewayLogger } from '../types.js';

/** The MCP SDK loads on the first /mcp request: a gateway nobody asks for MCP does not pay for it. */
const loadSdk = async () => {
  const [transport, types, server] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('./oxydra-mcp-server.js'),
  ]);
  return {
    StreamableHTTPServerTransport: transport.StreamableHTTPServerTransport,
    isInitializeRequest: types.isInitializeRequest,
    createOxydraMcpServer: server.createOxydraMcpServer,
  };
};

/** At most this many MCP sessions are kept open at once. */
export const MAX_MCP_SESSIONS = 100;
/**
 * At most this many of them a `user` token's: one user holding every slot with open streams
 * would have every other token refused (429). Operator and admin tokens (bridges, the owner's
 * tools) share only the overall limit.
 */
export const MAX_MCP_SESSIONS_PER_USER_TOKEN = 10;

interface McpSession {
  transport: StreamableHTTPServerTransport;
  tokenId: string;
  /** Requests and streams of this session still open. */
  open: number;
  /** When it was last used, as a count of requests (least recently used goes first). */
  used: number;
}

export function registerMcpRoute(
  app: FastifyInstance,
  kernel: Kernel,
  hold: HoldRun,
  log: GatewayLogger,
): { closeAll(): Promise<void> } {
  const sessions = new Map<string, McpSession>();
  let sdk: ReturnType<typeof loadSdk> | undefined;
  let requests = 0;

  /** Closes the least recently used idle session (of one token); false when every one is busy. */
  const evictIdle = async (tokenId?: string): Promise<boolean> => {
    let oldest: McpSession | undefined;
    for (const candidate of sessions.values()) {
      if (tokenId !== undefined && candidate.tokenId !== tokenId) continue;
      if (candidate.open === 0 && (!oldest || candidate.used < oldest.used)) oldest = candidate;
    }
    if (!oldest) return false;
    if (oldest.transport.sessionId !== undefined) sessions.delete(oldest.transport.sessionId);
    await oldest.transport.close();
    return true;
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(request.raw);
    const header = request.headers['mcp-session-id'];
    const id = typeof header === 'string' ? header : undefined;
    let session = id !== undefined ? sessions.get(id) : undefined;
    if (id !== undefined && (!session || session.tokenId !== principal.tokenId)) {
      return replyError(
        reply,
        404,
        'not_found',
        'no such MCP session (it ended, or belongs to another token)',
      );
    }
    if (!session) {
      sdk ??= loadSdk();
      const { StreamableHTTPServerTransport, isInitializeRequest, createOxydraMcpServer } = await sdk;
      if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
        return replyError(
          reply,
          400,
          'invalid_request',
          'start an MCP session with an initialize request first',
        );
      }
      if (principal.role === 'user') {
        let mine = 0;
        for (const candidate of sessions.values()) if (candidate.tokenId === principal.tokenId) mine += 1;
        if (mine >= MAX_MCP_SESSIONS_PER_USER_TOKEN && !(await evictIdle(principal.tokenId))) {
          return replyError(
            reply,
            429,
            'rate_limited',
            `too many busy MCP sessions for this token (${MAX_MCP_SESSIONS_PER_USER_TOKEN}); end some (DELETE /mcp) or try later`,
          );
        }
      }
      if (sessions.size >= MAX_MCP_SESSIONS && !(await evictIdle())) {
        return replyError(
          reply,
          429,
          'rate_limited',
          `too many busy MCP sessions (${MAX_MCP_SESSIONS}); end some (DELETE /mcp) or try later`,
        );
      }
      let unhold = () => {};
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, created);
          // Held once it is a session (an initialize that failed leaves nothing behind): a
          // revoked token's session closes, which aborts its running tools (run_agent's agent).
          unhold = hold(principal, () => void transport.close());
        },
      });
      const created: McpSession = { transport, tokenId: principal.tokenId, open: 0, used: 0 };
      transport.onclose = () => {
        unhold();
        const sessionId = transport.sessionId;
        if (sessionId !== undefined && sessions.get(sessionId) === created) sessions.delete(sessionId);
      };
      const server = createOxydraMcpServer(kernel, {
        // The principal's user is all the server gets: the kernel decides what it may read.
        ...(principal.user !== undefined ? { userId: principal.user } : {}),
        takeRun: async () => (await kernel.service('admission')).tryAcquire(runHolder(principal)),
        reveal: {
          run: (error, agentId) => publicRunError(error, agentId, log),
          thrown: (error) => publicFailure(error, log, 'an MCP tool'),
        },
      });
      await server.connect(transport);
      session = created;
    }
    const current = session;
    current.used = ++requests;
    current.open += 1;
    reply.raw.once('close', () => {
      current.open -= 1;
    });
    // The transport writes the response itself (JSON or an SSE stream).
    reply.hijack();
    answeredAsStream(reply.raw);
    await current.transport.handleRequest(request.raw, reply.raw, request.body);
  };

  app.post('/mcp', handle);
  app.get('/mcp', handle);
  app.delete('/mcp', handle);

  return {
    async closeAll() {
      await Promise.allSettled([...sessions.values()].map((session) => session.transport.close()));
      sessions.clear();
    },
  };
}
