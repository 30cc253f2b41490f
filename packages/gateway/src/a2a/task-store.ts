/**
 * Where the A2A tasks live while the gateway runs: in memory, each token's apart (a token never
 * sees, polls or cancels another's task), and bounded: past MAX_A2A_TASKS_PER_OWNER tasks or
 * MAX_A2A_TASK_BYTES_PER_OWNER of one token's, that token's oldest finished tasks are forgotten
 * first, so one user sending tasks without end pushes out only their own, never another's
 * answer still to be polled; past MAX_A2A_TASKS or MAX_A2A_TASK_BYTES in all (a task holds its
 * messages and answer), anyone's oldest finished go (a client polling one of those gets "task
 * not found"; the conversation itself is in the session store). The SDK's InMemoryTaskStore keeps every task forever, which
 * a long-running gateway cannot afford. Tasks do not survive a restart: a task whose gateway
 * restarted is gone, its session is not.
 */
import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';

const MAX_A2A_TASKS = 1000;
const MAX_A2A_TASK_BYTES = 64 * 1024 * 1024;
const MAX_A2A_TASKS_PER_OWNER = 100;
const MAX_A2A_TASK_BYTES_PER_OWNER = 16 * 1024 * 1024;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
/** TaskState values that end a task (completed, failed, canceled, rejected). */
const FINISHED = new Set([3, 4, 5, 7]);

type Owner = (context: ServerCallContext) => string;

export class BoundedTaskStore implements TaskStore {
  /** owner \0 task id -> task, in order of last save (oldest first). */
  readonly #tasks = new Map<string, Task>();
  readonly #sizes = new Map<string, number>();
  #bytes = 0;

  constructor(
    readonly owner: Owner,
    readonly limit = MAX_A2A_TASKS,
    readonly maxBytes = MAX_A2A_TASK_BYTES,
  ) {}

  /** What the kept tasks weigh, as JSON characters (about bytes). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#tasks.size;
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const task = this.#tasks.get(this.#key(context, taskId));
    return task ? structuredClone(task) : undefined;
  }

  async save(task: Task, context: ServerCallContext): Promise<void> {
    const key = this.#key(context, task.id);
    this.#forget(key);
    const size = JSON.stringify(task, (_key, value) =>
      Buffer.isBuffer(value) ? value.length : value,
    ).length;
    this.#tasks.set(key, structuredClone(task));
    this.#sizes.set(key, size);
    this.#bytes += size;
    this.#evictOwn(`${this.owner(context)}\0`);
    this.#evict();
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const prefix = `${this.owner(context)}\0`;
    const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : undefined;
    const matching = [...this.#tasks]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, task]) => task)
      .filter((task) => !params.contextId || task.contextId === params.contextId)
      .filter((task) => !params.status || task.status?.state === params.status)
      .filter((task) => after === undefined || Date.parse(task.status?.timestamp ?? '') > after)
      .reverse();
    const offset = Math.max(0, Number.parseInt(params.pageToken || '0', 10) || 0);
    const pageSize = Math.min(MAX_PAGE, Math.max(1, params.pageSize ?? DEFAULT_PAGE));
    const page = matching.slice(offset, offset + pageSize).map((task) => {
      const copy = structuredClone(task);
      if (!params.includeArtifacts) copy.artifacts = [];
      if (params.historyLength !== undefined) {
        copy.history = params.historyLength === 0 ? [] : copy.history.slice(-params.historyLength);
      }
      return copy;
    });
    const next = offset + page.length;
    return {
      tasks: page,
      nextPageToken: next < matching.length ? String(next) : '',
      pageSize,
      totalSize: matching.length,
    };
  }

  #key(context: ServerCallContext, taskId: string): string {
    return `${this.owner(context)}\0${taskId}`;
  }

  #forget(key: string): void {
    this.#bytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
    this.#tasks.delete(key);
  }

  #full(): boolean {
    return this.#tasks.size > this.limit || this.#bytes > this.maxBytes;
  }

  /** Forgets the owner's (`prefix`) oldest finished tasks past the limits of one owner. */
  #evictOwn(prefix: string): void {
    let count = 0;
    let bytes = 0;
    for (const [key, size] of this.#sizes) {
      if (!key.startsWith(prefix)) continue;
      count += 1;
      bytes += size;
    }
    for (const [key, task] of this.#tasks) {
      if (count <= MAX_A2A_TASKS_PER_OWNER && bytes <= MAX_A2A_TASK_BYTES_PER_OWNER) return;
      if (!key.startsWith(prefix) || !FINISHED.has(task.status?.state ?? 0)) continue;
      count -= 1;
      bytes -= this.#sizes.get(key) ?? 0;
      this.#forget(key);
    }
  }

  /** Forgets the oldest finished tasks past the limits (running ones stay: their clients poll them). */
  #evict(): void {
    for (const [key, task] of this.#tasks) {
      if (!this.#full()) return;
      if (FINISHED.has(task.status?.state ?? 0)) this.#forget(key);
    }
  }
}
