/**
 * The /ws endpoint: one GatewayConnection per client, a heartbeat that drops clients that stopped
 * answering pings (so their sessions are released), and closing every client at shutdown.
 */

import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.js';
import type { GatewayHub } from '../hub.js';
import type { TokenHolds } from '../token-holds.js';
import { GatewayConnection } from './connection.js';
import { MAX_USER_TOKEN_SOCKETS, UserSockets } from './user-sockets.js';

const HEARTBEAT_MS = 30_000;
/** How long a revoked token's WebSocket may take to answer the close frame before it is cut. */
const REVOKED_CLOSE_GRACE_MS = 2000;

export interface WebSocketEndpoint {
  readonly connections: ReadonlySet<GatewayConnection>;
  /** Closes every client (1001 "going away" at shutdown) and stops the heartbeat. */
  closeAll(code: number, reason: string): void;
}

/** RFC 6455 policy violation: the token the connection was opened with was revoked. */
const CLOSE_POLICY = 1008;

export function registerWebSocketRoute(
  app: FastifyInstance,
  hub: GatewayHub,
  holds: TokenHolds,
): WebSocketEndpoint {
  const connections = new Set<GatewayConnection>();
  const users = new UserSockets(hub);
  app.get('/ws', { websocket: true }, (socket, request) => {
    const principal = principalOf(request.raw);
    const share = users.open(principal);
    if (share === 'full') {
      socket.close(
        CLOSE_POLICY,
        `too many WebSockets open with this token (at most ${MAX_USER_TOKEN_SOCKETS}); close some`,
      );
      return;
    }
    const connection = new GatewayConnection(
      socket,
      hub,
      request.ip,
      request.socket,
      principal,
      share?.bucket,
    );
    connections.add(connection);
    hub.options.log('debug', 'client connected', { remote: request.ip, clients: connections.size });
    const release = holds.hold(connection.principal, () => {
      connection.revoked();
      // A client that does not answer the close frame is not kept waiting for.
      setTimeout(() => connection.socket.terminate(), REVOKED_CLOSE_GRACE_MS).unref();
    });
    socket.once('close', () => {
      release();
      users.close(principal);
      connections.delete(connection);
      hub.options.log('debug', 'client disconnected', { remote: request.ip, clients: connections.size });
    });
  });
  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    connections,
    closeAll(code, reason) {
      clearInterval(heartbeat);
      for (const connection of connections) connection.close(code, reason);
    },
  };
}
