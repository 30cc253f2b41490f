/**
 * @oxydra/gateway-client: the one client of the gateway's WebSocket protocol v2, used by the TUI,
 * the web dashboard and tests. Browser-safe: it imports only types from @oxydra/types (zod stays
 * in the `./checked` codec) and reaches the network through the socket it is given.
 */
export { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelay } from './backoff.js';
export {
  type AnsweredRequest,
  type AnswerOf,
  GatewayClient,
  type GatewayClientOptions,
  type RequestPayload,
} from './client.js';
export { type DecodedFrame, type FrameCodec, plainCodec } from './codec.js';
export { type ConnectFailure, GatewayConnectError, GatewayRequestError } from './errors.js';
export { type FollowOptions, followEvents, type ServerEvent, SseParser } from './event-stream.js';
export type { ClientEvent, ClientListener, ConnectionState, HelloAck, SessionRef } from './events.js';
export { FrameInbox, type FrameInboxOptions, type FrameOf, type FrameSource } from './frame-inbox.js';
export {
  browserSocket,
  CLOSE_WAIT_MS,
  type ClientSocket,
  type OpenSocket,
  type SocketEvents,
} from './socket.js';
