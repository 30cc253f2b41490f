/** startAgentRun: the AgentRun a caller holds (events, result, steer, followUp, cancel) around one AgentLoop. */
import type { StreamEvent } from '@oxydra/types';
import { toRunFailure } from './errors.js';
import { Inbox } from './inbox.js';
import { AgentLoop } from './loop.js';
import { EventChannel } from './queue.js';
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
  const result = Promise.resolve()
    .then(() => loop.run())
    .catch((error: unknown) => internalFailure(error, events, emit))
    .finally(() => events.close());
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
