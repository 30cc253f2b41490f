/** startAgentRun: the AgentRun a caller holds (events, result, steer, followUp, cancel) around one AgentLoop. */
import type { StreamEvent } from '@oxydra/types';
import { toRunFailure } from './errors.js';
import { AgentLoop } from './loop.js';
import { Inbox } from './state.js';
import type { AgentRun, AgentRunOptions, RunResult } from './types.js';

export function startAgentRun(options: AgentRunOptions): AgentRun {
  const events = new EventChannel<StreamEvent>();
  const { onEvent } = options;
  const emit = onEvent
    ? (event: StreamEvent) => {
        events.push(event);
        onEvent(event);
      }
    : (event: StreamEvent) => events.push(event);
  const inbox = new Inbox();
  const loop = new AgentLoop(options, inbox, emit);
  // Started a microtask later (a throw becomes a failed run); the channel closes once the run
  // ended either way. One `then` with both handlers rather than catch then finally: finally makes
  // two more promises and two closures of its own, on every run.
  const result = Promise.resolve()
    .then(() => loop.run())
    .then(
      (ended) => {
        events.close();
        return ended;
      },
      (error: unknown) => {
        try {
          return internalFailure(error, events, emit);
        } finally {
          events.close();
        }
      },
    );
  return {
    events,
    result,
    steer: (text) => inbox.steer(text),
    followUp: (text) => inbox.followUp(text),
    cancel: (reason) => loop.cancel(reason),
  };
}

/**
 * The loop turns every failure into a result itself; this catches a bug in that path (a failing
 * onStateChange callback, say) so `result` still settles and `events` still ends with run_failed.
 */
function internalFailure(
  error: unknown,
  events: EventChannel<StreamEvent>,
  emit: (event: StreamEvent) => void,
): RunResult {
  const failure = toRunFailure(error);
  const ended = events.snapshot().some((e) => e.type === 'run_completed' || e.type === 'run_failed');
  const result: RunResult = {
    status: 'failed',
    text: '',
    usage: {},
    costUsd: null,
    turns: 0,
    error: { ...failure, code: 'internal_error' },
    messages: [],
  };
  if (!ended) {
    emit({ type: 'run_failed', text: '', usage: {}, costUsd: null, turns: 0, error: result.error });
  }
  return result;
}

/**
 * The run's event channel. The loop pushes without waiting for readers; the events are kept, so
 * a consumer that starts late, or several consumers (a printer and a recorder), each see the
 * whole run from its first event. A run's events are bounded by its budgets, so keeping them is
 * cheap next to the conversation itself.
 */
class EventChannel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Adds an event; after close it is dropped (a tool reporting progress after the run ended). */
  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Everything pushed so far. */
  snapshot(): readonly T[] {
    return this.items;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let index = 0;
    while (true) {
      if (index < this.items.length) {
        yield this.items[index++] as T;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    // Nobody iterates the events in most runs (the kernel takes them through onEvent): no new
    // array at every event for them.
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
