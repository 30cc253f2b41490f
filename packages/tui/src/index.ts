/**
 * @oxydra/tui: the terminal client of the gateway protocol. `runTui` is the Ink app that
 * `oxydra tui` runs; `GatewayClient` is the protocol client under it, usable without a terminal.
 */
export { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelay } from './client/backoff.js';
export { type ConnectFailure, GatewayConnectError, GatewayRequestError } from './client/errors.js';
export type { ClientEvent, ClientListener, ConnectionState, HelloAck, SessionRef } from './client/events.js';
export { decodeServerFrame, encodeClientFrame } from './client/frame-codec.js';
export {
  type AnsweredRequest,
  type AnswerOf,
  GatewayClient,
  type GatewayClientOptions,
  type RequestPayload,
} from './client/gateway-client.js';
export { runTui, type TuiOptions, type TuiResult } from './run-tui.js';
