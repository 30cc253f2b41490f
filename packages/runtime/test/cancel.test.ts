import { Cancelled } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { type StateTransition, startAgentRun } from '../src/index.js';
import {
  deferred,
  FakeClock,
  fakeTools,
  finish,
  hangingStream,
  ofType,
  runOptions,
  scriptedProvider,
  waitForEvent,
} from './helpers.js';

describe('per-call timeout of the provider', () => {
  it('aborts a provider call that hangs past turnTimeoutMs, even one deaf to its signal', async () => {
    const clock = new FakeClock();
    const provider = scriptedProvider([hangingStream([{ type: 'text_delta', text: 'Work' }])]);
    const run = startAgentRun(runOptions(provider, { clock, budgets: { turnTimeoutMs: 45_000 } }));
    await waitForEvent(run, (e) => e.type === 'text_delta');
    clock.advance(44_999);
    expect(provider.signals[0]?.aborted).toBe(false);
    clock.advance(1);
    const { result } = await finish(run);

    expect(provider.signals[0]?.aborted).toBe(true);
    expect(result).toMatchObject({
      status: 'failed',
      text: 'Work',
      turns: 1,
      error: {
        code: 'provider_error',
        kind: 'timeout',
        message:
          'scripted (test-model) did not finish within 45 s (runtime.turn_timeout_secs); the call was aborted',
      },
    });
  });

  it('reports the timeout, not the Cancelled a well-behaved provider throws on abort', async () => {
    const clock = new FakeClock();
    const started = deferred();
    const provider = scriptedProvider([
      (_context, options) =>
        (async function* () {
          started.resolve();
          await new Promise((_, reject) =>
            options?.signal?.addEventListener('abort', () => reject(new Cancelled('aborted by signal'))),
          );
          yield { type: 'text_delta' as const, text: 'never' };
        })(),
    ]);
    const run = startAgentRun(runOptions(provider, { clock, budgets: { turnTimeoutMs: 1000 } }));
    await started.promise;
    clock.advance(1000);
    const { result } = await finish(run);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'provider_error', kind: 'timeout' });
  });
});

describe('cancellation', () => {
  it('cancel() mid-stream aborts the provider call and ends with run_failed cancelled', async () => {
    const provider = scriptedProvider([hangingStream([{ type: 'text_delta', text: 'Starting' }])]);
    const transitions: StateTransition[] = [];
    const run = startAgentRun(runOptions(provider, { onStateChange: (t) => transitions.push(t) }));
    await waitForEvent(run, (e) => e.type === 'text_delta');
    run.cancel('user pressed Ctrl+C');
    const { result, events } = await finish(run);

    expect(provider.signals[0]?.aborted).toBe(true);
    expect(result).toMatchObject({
      status: 'cancelled',
      text: 'Starting',
      turns: 1,
      error: { code: 'cancelled', message: 'user pressed Ctrl+C' },
    });
    expect(events.at(-1)?.type).toBe('run_failed');
    expect(transitions.map((t) => t.to)).toEqual(['streaming', 'cancelled']);
  });

  it('cancel() mid-tool aborts the running tools and closes their calls in the conversation', async () => {
    const aborted: string[] = [];
    const waitForAbort =
      (name: string) => (_args: Record<string, unknown>, context: { signal: AbortSignal }) =>
        new Promise<string>((_, reject) => {
          context.signal.addEventListener('abort', () => {
            aborted.push(name);
            reject(new Cancelled());
          });
        });
    const tools = fakeTools({
      file_read: { run: waitForAbort('file_read') },
      web_fetch: { run: waitForAbort('web_fetch') },
      file_write: { safety: 'side_effecting', run: () => 'never runs' },
    });
    const provider = scriptedProvider([
      {
        toolCalls: [
          { id: 'r', name: 'file_read' },
          { id: 'w', name: 'web_fetch' },
          { id: 'x', name: 'file_write' },
        ],
      },
    ]);
    const run = startAgentRun(runOptions(provider, { tools }));
    await waitForEvent(run, (e) => e.type === 'tool_execution_start' && e.id === 'w');
    run.cancel();
    const { result, events } = await finish(run);

    expect(aborted.sort()).toEqual(['file_read', 'web_fetch']);
    expect(tools.invocations.map((i) => i.name)).toEqual(['file_read', 'web_fetch']);
    expect(result).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'cancelled by the caller' },
    });
    // Every started tool gets an end event; every call gets a result message.
    expect(ofType(events, 'tool_execution_end').map((e) => [e.id, e.isError])).toEqual([
      ['r', true],
      ['w', true],
    ]);
    expect(result.messages.filter((m) => m.role === 'tool').map((m) => [m.toolCallId, m.content])).toEqual([
      ['r', 'no result (the run stopped: cancelled by the caller)'],
      ['w', 'no result (the run stopped: cancelled by the caller)'],
      ['x', 'no result (the run stopped: cancelled by the caller)'],
    ]);
  });

  it("the caller's AbortSignal cancels the run with its reason", async () => {
    const controller = new AbortController();
    const provider = scriptedProvider([hangingStream([{ type: 'text_delta', text: 'x' }])]);
    const run = startAgentRun(runOptions(provider, { signal: controller.signal }));
    await waitForEvent(run, (e) => e.type === 'text_delta');
    controller.abort(new Error('SIGINT'));
    const { result } = await finish(run);
    expect(result).toMatchObject({ status: 'cancelled', error: { code: 'cancelled', message: 'SIGINT' } });
  });

  it('an already-aborted signal ends the run before any model call', async () => {
    const provider = scriptedProvider([{ text: 'never' }]);
    const { result } = await finish(startAgentRun(runOptions(provider, { signal: AbortSignal.abort() })));
    expect(provider.contexts).toHaveLength(0);
    expect(result).toMatchObject({ status: 'cancelled', turns: 0, error: { code: 'cancelled' } });
  });

  it('cancel() after the run ended changes nothing', async () => {
    const provider = scriptedProvider([{ text: 'done' }]);
    const run = startAgentRun(runOptions(provider));
    const { result } = await finish(run);
    run.cancel();
    expect(result.status).toBe('completed');
    expect(await run.result).toBe(result);
  });
});
