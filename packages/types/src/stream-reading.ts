// Reading a model's stream (a provider's reply, a tool) without what the reading would keep alive:
// the abort races of each read, and the rope a streamed string is built as. And an HTTP answer's
// body as sent, whichever compression the server chose (the providers' and web_fetch's clients).
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';

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
  const stop = onAbort(signal, () => {
    const why = reason();
    for (const reject of pending) reject(why);
    pending.clear();
  });
  return {
    race<T>(promise: Promise<T>): Promise<T> {
      if (signal.aborted) {
        // Abandoned: a later rejection of it is not an unhandled one.
        promise.catch(() => {});
        return Promise.reject(reason());
      }
      return racePending(promise, pending);
    },
    dispose: stop,
  };
}

/**
 * Settles like `promise`; meanwhile its reject is in `pending`, for whoever aborts the wait to call
 * (createAbortRacer, the runtime's deadlines). Leaves nothing in `pending` once it settles.
 */
export function racePending<T>(promise: Promise<T>, pending: Set<(reason: unknown) => void>): Promise<T> {
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
}

/**
 * Each signal's listeners registered through onAbort, behind the one 'abort' listener it has.
 * Node's addEventListener and removeEventListener on an AbortSignal are costly (option parsing, a
 * listener object, the signal's own bookkeeping of abort listeners): a model call added and
 * removed two on the run's and its own signal, 8% of a bench turn's CPU (kernel-longrun).
 */
const fanOuts = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `listener` once when `signal` aborts, like `addEventListener('abort', listener, { once:
 * true })` (never, if it has already aborted); the function returned removes it. A signal gets one
 * real listener the first time, kept until it aborts or is collected, and each further listener
 * is an entry in a Set: cheap enough for a signal that many waits come and go on (a run's, with
 * a deadline per model or tool call). Listeners run in the order registered; one that throws is
 * reported as an uncaught exception (as EventTarget does) and the others still run.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let listeners = fanOuts.get(signal);
  if (!listeners) {
    const own = new Set<() => void>();
    listeners = own;
    fanOuts.set(signal, own);
    signal.addEventListener(
      'abort',
      () => {
        fanOuts.delete(signal);
        for (const each of own) {
          try {
            each();
          } catch (error) {
            queueMicrotask(() => {
              throw error;
            });
          }
        }
        own.clear();
      },
      { once: true },
    );
  }
  const registered = listeners;
  registered.add(listener);
  return () => {
    registered.delete(listener);
  };
}

/** Where flatString puts the character it reads, so that the read is not optimised away. */
// biome-ignore lint/correctness/noUnusedVariables: written so that the read it keeps is not dropped
let flatRead = 0;

/**
 * A string built from a stream by `+=` is, in V8, a rope: one object per piece (measured: an
 * answer of 100 deltas holds ~5.4 KB, flat ~0.9 KB). Reading one character makes V8 flatten it
 * into one sequential string and free the pieces. Strings kept for long — assistant messages
 * in a session's history, an answer held by an exited agent's record — go through this once
 * their stream has ended. Only memory changes, never the value. The character read is kept
 * (flatRead): on Node 22 and 24 an optimised caller dropped a read whose value nobody used, and
 * with it the flattening (collect-memory.test.ts, run on each runtime by CI).
 */
export function flatString(text: string): string {
  if (text.length > 1) flatRead ^= text.charCodeAt(0);
  return text;
}

/**
 * `message`'s body decompressed when the server compressed it (gzip, deflate or br, as fetch
 * decodes them), else the message itself; an error of either stream destroys both. Whoever caps
 * what they read counts decompressed bytes, so a small compressed bomb stops at the cap.
 */
export function decodedBody(message: IncomingMessage): Readable {
  const encoding = String(message.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate' && encoding !== 'br')
    return message;
  // Loaded only for a compressed body: a gateway listens without node:zlib (gateway-builtins test).
  const zlib = process.getBuiltinModule('node:zlib');
  const decoder =
    encoding === 'deflate'
      ? zlib.createInflate()
      : encoding === 'br'
        ? zlib.createBrotliDecompress()
        : zlib.createGunzip();
  return pipeline(message, decoder, () => undefined);
}
