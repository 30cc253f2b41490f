/**
 * One socket write for the statements a caller sends together. In pipeline mode (connection.ts)
 * the driver writes each query as it is made, one write (one syscall) each: a run claim's BEGIN,
 * lock, reads, insert, SET LOCAL and COMMIT were seven writes on the client, and as many reads
 * and wake-ups of the server's backend, which then answered each on its own. Corked until the
 * current synchronous section ends (process.nextTick), everything a caller sends before it
 * awaits goes out in one write, and the server, reading it whole, answers in one write too.
 * Nothing waits longer: the uncork comes before any answer could be read. docs/postgres.md,
 * "Eleventh round", has the figures.
 */
import type pg from 'pg';

/** The driver's socket, which its typings leave out. */
interface Corkable {
  cork(): void;
  uncork(): void;
  write(...args: unknown[]): boolean;
}

/** From now on `client`'s writes of one synchronous section go out as one. */
export function corkEachSection(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: Partial<Corkable> } }).connection?.stream;
  if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function' || !stream.write) return;
  const socket = stream as Corkable;
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  // The socket's write, not the client's query: whatever writes (a query, its Sync, a COMMIT
  // sent ahead) is held the same way, and the query stays the driver's own.
  socket.write = function (this: Corkable, ...args: unknown[]) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  };
}
