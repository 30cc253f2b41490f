/**
 * Who is told when the paired senders may have changed, so a host stops a revoked sender's
 * running turn at once rather than at its next re-read. SQLite tells no one of another
 * connection's commit, so:
 * - a change through this store (this process) is told right after its commit;
 * - another process's (`oxydra channels pair --revoke`) shows as a write to the file's WAL,
 *   which every commit in WAL mode appends to: a file watch on it (inotify on Linux) costs
 *   nothing while nothing is written, and is kept only while someone listens (a host, while a
 *   paired sender's turn runs). It fires for every commit to the file, so a listener re-reads
 *   rather than trusts it; where a file system gives no events (a network mount), the host's
 *   periodic re-read still stops the turn.
 */
import { type FSWatcher, watch } from 'node:fs';

export class PairingChanges {
  readonly #listeners = new Set<() => void>();
  #watcher: FSWatcher | undefined;

  /** `walPath`: the database's `-wal` file; undefined for a store with no file (nothing watched). */
  constructor(private readonly walPath: string | undefined) {}

  /** Calls `listener` when the pairings may have changed; returns the way to stop. */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#watch();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** A change committed through this store. */
  told(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // A listener failing must not undo or hide the change that was committed.
      }
    }
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #watch(): void {
    if (this.walPath === undefined) return;
    try {
      this.#watcher = watch(this.walPath, { persistent: false }, () => this.told());
      // Gone (the file replaced) or unwatchable: the host's periodic re-read is what is left.
      this.#watcher.on('error', () => this.close());
    } catch {
      this.#watcher = undefined;
    }
  }
}
