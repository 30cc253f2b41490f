/** What the gateway client tells its listeners (the TUI's view store, the dashboard's chat, tests). */
import type { ServerFrame, ServerPayload } from '@oxydra/types/gateway';

export type SessionRef = ServerPayload<'hello_ack'>['session'];
export type HelloAck = ServerPayload<'hello_ack'>;

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected' }
  /** Waiting `delayMs` before reconnect attempt `attempt`, because of `reason`. */
  | { state: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  /** For good: closed by the caller, or a failure reconnecting cannot fix (`reason`; `code` when the gateway closed). */
  | { state: 'closed'; reason?: string; code?: number };

export type ClientEvent =
  /** A valid server frame (hello_ack excepted: it arrives as `hello`). */
  | { kind: 'frame'; frame: ServerFrame }
  /** A (re)connection was acknowledged; `resumed` is false for the first one. */
  | { kind: 'hello'; ack: HelloAck; resumed: boolean }
  | { kind: 'connection'; connection: ConnectionState }
  /** The gateway sent something that is not a protocol v2 frame; it was ignored. */
  | { kind: 'malformed'; problem: string };

export type ClientListener = (event: ClientEvent) => void;
