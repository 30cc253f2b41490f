/**
 * Cross-process events (issue 33 item 3) as a contract: how several gateway processes sharing
 * one store tell each other what happens in the runs they hold (a session's frames for clients
 * attached elsewhere, a cancel or an approval answer for a run held elsewhere, kernel events
 * for the live feeds). The engine is PostgreSQL's LISTEN/NOTIFY (@oxydra/store-postgres),
 * chosen by measurement (docs/postgres.md, bench/event-bus.mjs); one process alone needs none.
 *
 * Delivery is at most once and not replayed: a process that is not connected when a message is
 * sent misses it. That is what the users of the bus are built for: the store holds every
 * committed record, so a client that reconnects reads the state there, then follows the events.
 */

/** Topic names: 1-32 characters of lower-case letters, digits and `_`. */
export const BUS_TOPIC = /^[a-z0-9_]{1,32}$/;

export interface EventBus {
  /** This process's id: what its messages say they came from. */
  readonly processId: string;
  /**
   * Sends `data` (UTF-8 text of any length up to 1 MiB) to every other process subscribed to
   * `topic`; the sender does not hear its own. Resolves once the engine has taken it; rejects
   * when it cannot (not connected). Messages of one publisher arrive in the order it sent them.
   */
  publish(topic: string, data: string): Promise<void>;
  /**
   * Calls `handler` with each message of `topic` from the other processes. Returns the
   * function that stops it. A handler that throws is logged by nobody and stops nothing.
   */
  subscribe(topic: string, handler: (data: string, from: string) => void): () => void;
  /** Resolves when the bus is connected and a message reaches the engine and back; rejects with why not. */
  check(): Promise<void>;
  /** Stops listening and closes the connection; publish rejects after. */
  close(): Promise<void>;
}
