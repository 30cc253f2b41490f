/**
 * The worker threads that compile and check clients' structured-output schemas (the thread's
 * code is schema-worker.ts). Ajv turns a client's schema into code and runs it; on the gateway's
 * thread one costly schema held the event loop, every user's requests with it, until the
 * checker's time limit, and a user's 10 turn slots could hold it with 10 at once. Here the
 * gateway's thread only hands the schema over and waits: a check past its time is ended by
 * terminating its thread (no cooperation asked of the code running there), one past its memory
 * ends with its thread too, and the next check gets a new thread. A few threads at most (a core
 * stays the gateway's), each started at the first check it is needed for (the gateway's start
 * and its plain turns never load any of this), checks waiting their turn in order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SchemaCheckOptions } from '@oxydra/kernel/json-schema';
import type { SchemaJob, SchemaJobResult } from './schema-worker.js';

export interface SchemaWorkerLimits {
  /** How long one check may run once its thread has it, before the thread is terminated. */
  timeMs: number;
  /** The thread's heap (V8's old generation); past it the thread ends and the check fails. */
  heapMb: number;
  /** How long an idle thread is kept (its Ajv, warmed, is ~15 MB). */
  idleMs: number;
}

interface Waiting {
  job: SchemaJob;
  /** Whose check it is (the user): the queue takes users in turn. */
  owner: string;
  resolve: (errors: string[]) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  running?: Waiting | undefined;
  /** The running check's time limit, or the idle thread's end. */
  timer?: NodeJS.Timeout | undefined;
}

const CANCELLED = 'the schema check was cancelled: its request was aborted';

/** node:vm's largest timeout (a signed 32-bit count of milliseconds, ~24 days). */
const NO_CHECKER_LIMIT_MS = 2 ** 31 - 1;

const MAX_THREADS = Math.max(1, Math.min(2, availableParallelism() - 1));

export class SchemaWorkers {
  readonly #threads = new Set<Thread>();
  readonly #queue: Waiting[] = [];
  /** When each user was last served (a count of checks handed over), since the queue was last empty. */
  readonly #served = new Map<string, number>();
  #handedOver = 0;
  #nextId = 1;

  constructor(
    private readonly options: SchemaCheckOptions,
    private readonly limits: SchemaWorkerLimits,
    private readonly file: URL = schemaWorkerFile(import.meta.url),
  ) {}

  /**
   * Why `data` does not match `schema` ([] when it does); rejects with the checker's own error
   * when the schema cannot be used, or with the limit it ran past.
   */
  check(schema: object, data: unknown, owner = '', signal?: AbortSignal): Promise<string[]> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error(CANCELLED));
      const waiting: Waiting = { job: { id: this.#nextId++, schema, data }, owner, resolve, reject };
      if (signal) {
        // Its client went away: a check nobody waits for holds no place in the queue, nor a
        // thread another user's check could run on.
        const cancel = () => this.#cancel(waiting);
        signal.addEventListener('abort', cancel, { once: true });
        const settled = () => signal.removeEventListener('abort', cancel);
        waiting.resolve = (errors) => {
          settled();
          resolve(errors);
        };
        waiting.reject = (error) => {
          settled();
          reject(error);
        };
      }
      this.#queue.push(waiting);
      this.#pump();
    });
  }

  /** Out of the queue, or its thread ended (the next check gets a new one): rejected as cancelled. */
  #cancel(waiting: Waiting): void {
    const queued = this.#queue.indexOf(waiting);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      waiting.reject(new Error(CANCELLED));
      return;
    }
    for (const thread of this.#threads) if (thread.running === waiting) this.#stop(thread, CANCELLED);
  }

  /**
   * The next check: the oldest of the user served longest ago (or never). In arrival order alone,
   * one user's 10 turn slots' costly checks would hold every other user's structured answers up
   * to 10 s; taken in turn, another user's check waits for at most one of theirs per thread.
   */
  #next(): Waiting {
    const rank = (waiting: Waiting) => this.#served.get(waiting.owner) ?? -1;
    let best = 0;
    for (let i = 1; i < this.#queue.length; i++)
      if (rank(this.#queue[i] as Waiting) < rank(this.#queue[best] as Waiting)) best = i;
    const [next] = this.#queue.splice(best, 1) as [Waiting];
    this.#served.set(next.owner, this.#handedOver++);
    // Nobody waiting: who was served when no longer matters (and the map stays small).
    if (this.#queue.length === 0) this.#served.clear();
    return next;
  }

  #pump(): void {
    for (const thread of this.#threads) {
      if (this.#queue.length === 0) return;
      if (thread.ready && !thread.running) this.#run(thread, this.#next());
    }
    const starting = [...this.#threads].filter((thread) => !thread.ready).length;
    if (this.#queue.length > starting && this.#threads.size < MAX_THREADS) this.#start();
  }

  #run(thread: Thread, waiting: Waiting): void {
    clearTimeout(thread.timer);
    thread.running = waiting;
    // The limit starts now, not when queued: waiting behind another check is not this one's cost.
    thread.timer = setTimeout(() => {
      this.#stop(
        thread,
        `the schema check ran past ${this.limits.timeMs} ms and was stopped (the schema is too costly)`,
      );
    }, this.limits.timeMs);
    try {
      thread.worker.postMessage(waiting.job);
    } catch (error) {
      thread.running = undefined;
      this.#idle(thread);
      waiting.reject(new Error(`the schema cannot be used: ${(error as Error).message}`));
    }
  }

  /** Kept for the next check, and ended once idle for `idleMs`. */
  #idle(thread: Thread): void {
    clearTimeout(thread.timer);
    thread.timer = setTimeout(() => this.#stop(thread), this.limits.idleMs).unref();
  }

  /**
   * Ends the thread, failing its check (if one runs) with `why` at once. Out of the pool first: no
   * check is handed to a thread while it ends, and a new one can start in its place.
   */
  #stop(thread: Thread, why?: string): void {
    this.#threads.delete(thread);
    clearTimeout(thread.timer);
    const running = thread.running;
    thread.running = undefined;
    if (running) running.reject(new Error(why ?? 'the schema check was stopped'));
    void thread.worker.terminate();
    this.#pump();
  }

  #start(): void {
    const worker = new Worker(this.file, {
      // The checker's own time limit (node:vm's) is set out of the way: this pool's is the limit.
      workerData: { ...this.options, timeoutMs: NO_CHECKER_LIMIT_MS },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 16 },
    });
    // An idle thread never keeps the gateway's process alive.
    worker.unref();
    const thread: Thread = { worker, ready: false };
    this.#threads.add(thread);
    let failure: Error | undefined;
    worker.on('message', (message: 'ready' | SchemaJobResult) => {
      // A thread the pool ended may still answer: its check has failed already.
      if (!this.#threads.has(thread)) return;
      if (message === 'ready') thread.ready = true;
      else if (thread.running && message.id === thread.running.job.id) {
        const { resolve, reject } = thread.running;
        thread.running = undefined;
        if ('errors' in message) resolve(message.errors);
        else reject(new Error(message.failed));
      }
      if (!thread.running) this.#idle(thread);
      this.#pump();
    });
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', () => {
      if (!this.#threads.delete(thread)) return;
      clearTimeout(thread.timer);
      if (thread.running) thread.running.reject(new Error(this.#why(failure)));
      else if (!thread.ready && failure) {
        // A thread that cannot start fails the checks waiting for it, rather than retrying forever.
        for (const waiting of this.#queue.splice(0))
          waiting.reject(new Error(`the schema checker could not start: ${failure.message}`));
      }
      this.#pump();
    });
  }

  /** Why a thread ended on its own while it ran a check. */
  #why(failure: Error | undefined): string {
    if ((failure as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return `the schema check needed more than ${this.limits.heapMb} MB of memory and was stopped (the schema, or the answer checked against it, is too large)`;
    return `the schema check stopped: ${failure?.message ?? 'its thread ended'}`;
  }
}

/**
 * The thread's file, beside the module this code runs from, with its extension: dist/http/ in
 * the workspace build (`.js`), and in the CLI's bundles (scripts/bundle-cli.mjs) an entry of its
 * own beside every chunk, `schema-worker.mjs` or `schema-worker.cjs`. Run from the sources
 * (vitest), the build's copy: Node 20 cannot run TypeScript in a worker.
 */
function schemaWorkerFile(from: string): URL {
  const extension = /\.[cm]?[jt]s$/.exec(new URL(from).pathname)?.[0] ?? '.js';
  if (extension === '.ts') return new URL('../../dist/http/schema-worker.js', from);
  return new URL(`./schema-worker${extension}`, from);
}
