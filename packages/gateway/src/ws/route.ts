/**
 * The /ws endpoint: one GatewayConnection per client, a heartbeat that drops clients that stopped
 * answering pings (so their sessions are released), and closing every client at shutdown.
 */

import type { FastifyInstance } from 'fastify';
import type { GatewayHub } from '../hub.js';
import { principalOf } from '../principal.js';
import { GatewayConnection } from './connection.js';

export const HEARTBEAT_MS = 30_000;

export interface WebSocketEndpoint {
  readonly connections: ReadonlySet<GatewayConnection>;
  /** Closes every client (1001 "going away" at shutdown) and stops the heartbeat. */
  closeAll(code: number, reason: string): void;
}

export function registerWebSocketRoute(app: FastifyInstance, hub: GatewayHub): WebSocketEndpoint {
  const connections = new Set<GatewayConnection>();
  app.get('/ws', { websocket: true }, (socket, request) => {
    const connection = new GatewayConnection(
      socket,
      hub,
      request.ip,
      request.socket,
      principalOf(request.raw),
    );
    connections.add(connection);
    hub.options.log('debug', 'client connected', { remote: request.ip, clients: connections.size });
    socket.once('close', () => {
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
