/**
 * Oxydra as an MCP server over Streamable HTTP at /mcp, behind the gateway's token: each MCP
 * session (its `mcp-session-id`) has its own server acting as the token's user, and belongs to
 * the token that opened it (another token gets a 404 for it). Sessions end on DELETE, when the
 * client goes away, or when the gateway closes; at most MAX_SESSIONS are open at once.
 */
import { randomUUID } from 'node:crypto';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Kernel } from '@oxydra/kernel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replyError } from '../http/reply-error.js';
import { principalOf } from '../principal.js';

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

const MAX_SESSIONS = 100;

interface McpSession {
  transport: StreamableHTTPServerTransport;
  tokenId: string;
}

export function registerMcpRoute(app: FastifyInstance, kernel: Kernel): { closeAll(): Promise<void> } {
  const sessions = new Map<string, McpSession>();
  let sdk: ReturnType<typeof loadSdk> | undefined;

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
      if (sessions.size >= MAX_SESSIONS) {
        return replyError(
          reply,
          429,
          'rate_limited',
          `too many open MCP sessions (${MAX_SESSIONS}); close some`,
        );
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, { transport, tokenId: principal.tokenId });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      };
      const server = createOxydraMcpServer(kernel, {
        ...(principal.user !== undefined ? { userId: principal.user } : {}),
        ownSessionsOnly: principal.user !== undefined,
      });
      await server.connect(transport);
      session = { transport, tokenId: principal.tokenId };
    }
    // The transport writes the response itself (JSON or an SSE stream).
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
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
