// Reading a model's stream (a provider's reply, a tool) without what the reading would keep alive:
// the abort races of each read, and the rope a streamed string is built as.

/**
 * Waiting, read after read, on promises that may ignore an AbortSignal (a provider's stream, a
 * tool): each race settles like its promise, or rejects with `reason()` once the signal aborts
 * (at once if it already has). One abort listener serves all the races of a racer, and a race
 * leaves nothing behind once it settles. Promise.race against one long-lived "aborted" promise
 * would leave a reaction on that promise per read, kept for as long as the stream lasts: on a
 * reply of hundreds of events, hundreds of objects that outlive every young-generation GC.
 */
export interface AbortRacer {
  race<T>(promise: Promise<T>): Promise<T>;
  /** Removes the abort listener; races still pending settle like their promises. */
  dispose(): void;
}

export function createAbortRacer(signal: AbortSignal, reason: () => unknown): AbortRacer {
  const pending = new Set<(reason: unknown) => void>();
  const onAbort = () => {
    const why = reason();
    for (const reject of pending) reject(why);
    pending.clear();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    race<T>(promise: Promise<T>): Promise<T> {
      if (signal.aborted) {
        // Abandoned: a later rejection of it is not an unhandled one.
        promise.catch(() => {});
        return Promise.reject(reason());
      }
      return new Promise<T>((resolve, reject) => {
        pending.add(reject);
        // These handlers also keep a late rejection of a promise the abort left behind handled.
        promise.then(
          (value) => {
            pending.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            pending.delete(reject);
            reject(error);
          },
        );
      });
    },
    dispose: () => signal.removeEventListener('abort', onAbort),
  };
}

/**
 * A string built from a stream by `+=` is, in V8, a rope: one object per piece (measured: an
 * answer of 100 deltas holds ~5.4 KB, flat ~0.4 KB). Reading one character makes V8 flatten it
 * into one sequential string and free the pieces. Strings kept for long — assistant messages
 * in a session's history, an answer held by an exited agent's record — go through this once
 * their stream has ended. Only memory changes, never the value.
 */
export function flatString(text: string): string {
  if (text.length > 1) text.charCodeAt(0);
  return text;
}
