import { describe, expect, it } from 'vitest';
import { planGroups, startAgentRun } from '../src/index.js';
import {
  deferred,
  FakeClock,
  fakeTools,
  finish,
  ofType,
  runOptions,
  scriptedProvider,
  start,
  waitForEvent,
} from './helpers.js';

describe('tool dispatch: grouping', () => {
  it('groups consecutive read_only calls and isolates the others, unknown tools included', () => {
    const tools = fakeTools({
      r: { safety: 'read_only', run: () => '' },
      w: { safety: 'side_effecting', run: () => '' },
      p: { safety: 'privileged', run: () => '' },
    });
    const calls = ['r', 'r', 'w', 'r', 'p', 'p', 'nope', 'r', 'r'].map((name, i) => ({
      id: String(i),
      name,
      arguments: {},
    }));
    expect(planGroups(calls, tools)).toEqual([[0, 1], [2], [3], [4], [5], [6], [7, 8]]);
  });
});

describe('tool dispatch: concurrency', () => {
  it('runs consecutive read-only calls at the same time', { timeout: 5000 }, async () => {
    // Each call waits until both have started: run one after the other, they would never finish.
    const bothStarted = deferred();
    let started = 0;
    const waitForBoth = async (name: string) => {
      started += 1;
      if (started === 2) bothStarted.resolve();
      await bothStarted.promise;
      return `${name} done`;
    };
    const tools = fakeTools({
      file_read: { safety: 'read_only', run: () => waitForBoth('file_read') },
      file_list: { safety: 'read_only', run: () => waitForBoth('file_list') },
    });
    const provider = scriptedProvider([
      {
        toolCalls: [
          { id: 'a', name: 'file_read', arguments: { path: 'x' } },
          { id: 'b', name: 'file_list' },
        ],
      },
      { text: 'done' },
    ]);
    const { events, result } = await start(runOptions(provider, { tools }));

    expect(result.status).toBe('completed');
    const order = events
      .filter((e) => e.type === 'tool_execution_start' || e.type === 'tool_execution_end')
      .map((e) => `${e.type === 'tool_execution_start' ? 'start' : 'end'}:${'id' in e ? e.id : ''}`);
    expect(order).toEqual(['start:a', 'start:b', 'end:a', 'end:b']);
    expect(ofType(events, 'progress').map((e) => e.progress.message)).toContain(
      '[1/8] Executing tools: file_read, file_list',
    );
  });

  it('runs side-effecting calls one at a time, in order', async () => {
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const write = (name: string) => async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      log.push(`begin ${name}`);
      // Yield to the event loop so an overlapping call would get to start here.
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`end ${name}`);
      active -= 1;
      return 'ok';
    };
    const tools = fakeTools({
      file_write: { safety: 'side_effecting', run: write('file_write') },
      shell_exec: { safety: 'privileged', run: write('shell_exec') },
      file_read: { safety: 'read_only', run: write('file_read') },
    });
    const provider = scriptedProvider([
      {
        toolCalls: [
          { id: '1', name: 'file_read' },
          { id: '2', name: 'file_write' },
          { id: '3', name: 'shell_exec' },
          { id: '4', name: 'file_read' },
        ],
      },
      { text: 'done' },
    ]);
    const { events } = await start(runOptions(provider, { tools }));

    expect(maxActive).toBe(1);
    expect(log).toEqual([
      'begin file_read',
      'end file_read',
      'begin file_write',
      'end file_write',
      'begin shell_exec',
      'end shell_exec',
      'begin file_read',
      'end file_read',
    ]);
    const order = events
      .filter((e) => e.type === 'tool_execution_start' || e.type === 'tool_execution_end')
      .map((e) => ('id' in e ? `${e.type === 'tool_execution_start' ? '+' : '-'}${e.id}` : ''));
    expect(order).toEqual(['+1', '-1', '+2', '-2', '+3', '-3', '+4', '-4']);
  });
});

describe('tool dispatch: heartbeats and timeouts', () => {
  it('emits a heartbeat every heartbeatMs while tools run, and none after', async () => {
    const clock = new FakeClock();
    const release = deferred();
    const tools = fakeTools({
      shell_exec: { safety: 'privileged', run: () => release.promise.then(() => 'built') },
    });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'shell_exec' }] }, { text: 'done' }]);
    const run = startAgentRun(runOptions(provider, { tools, clock, heartbeatMs: 5000 }));
    await waitForEvent(run, (e) => e.type === 'tool_execution_start');

    clock.advance(4999);
    clock.advance(1);
    clock.advance(5000);
    release.resolve();
    const { events } = await finish(run);
    clock.advance(20_000);

    const beats = ofType(events, 'progress').filter((e) => e.progress.kind === 'tool_heartbeat');
    expect(beats.map((e) => e.progress)).toEqual([
      {
        kind: 'tool_heartbeat',
        message: '[1/8] Still running shell_exec (5 s)',
        toolNames: ['shell_exec'],
        elapsedMs: 5000,
        turn: 1,
        maxTurns: 8,
      },
      {
        kind: 'tool_heartbeat',
        message: '[1/8] Still running shell_exec (10 s)',
        toolNames: ['shell_exec'],
        elapsedMs: 10_000,
        turn: 1,
        maxTurns: 8,
      },
    ]);
    // Every timer the run set (heartbeat, per-call deadlines) is cleared once it ends.
    expect(clock.pending).toBe(0);
  });

  it('stops a tool that outlives turnTimeoutMs, aborts its signal, and tells the model', async () => {
    const clock = new FakeClock();
    let toolSignal: AbortSignal | undefined;
    const tools = fakeTools({
      // Deaf to its signal: the runtime must not wait for it anyway.
      hang: {
        run: (_args, context) => {
          toolSignal = context.signal;
          return new Promise<string>(() => {});
        },
      },
    });
    const provider = scriptedProvider([{ toolCalls: [{ id: 'h', name: 'hang' }] }, { text: 'it timed out' }]);
    const run = startAgentRun(runOptions(provider, { tools, clock, budgets: { turnTimeoutMs: 30_000 } }));
    await waitForEvent(run, (e) => e.type === 'tool_execution_start');
    clock.advance(30_000);
    const { result, events } = await finish(run);

    expect(toolSignal?.aborted).toBe(true);
    expect(result.status).toBe('completed');
    expect(provider.contexts[1]?.messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'h',
      toolName: 'hang',
      content: 'tool hang timed out after 30 s and was stopped',
      isError: true,
    });
    expect(ofType(events, 'tool_execution_end')[0]).toMatchObject({ isError: true, durationMs: 30_000 });
  });

  it('does not count the wait for an approval against the deadline: the clock stops until the answer', async () => {
    const clock = new FakeClock();
    const answer = deferred<boolean>();
    const tools = fakeTools({
      // Asks, as the registry does for a privileged tool, then takes 10 s of its own.
      risky: {
        run: async (_args, context) => {
          const yes = await context.approve!({
            toolName: 'risky',
            arguments: {},
            summary: 'risky',
            signal: context.signal,
          });
          return new Promise<string>((resolve) => {
            if (yes) clock.setTimeout(() => resolve('ran'), 10_000);
          });
        },
      },
    });
    const provider = scriptedProvider([{ toolCalls: [{ id: 'r', name: 'risky' }] }, { text: 'done' }]);
    const approve = () => answer.promise;
    const run = startAgentRun(
      runOptions(provider, { tools, clock, approve, budgets: { turnTimeoutMs: 30_000 } }),
    );
    await waitForEvent(run, (e) => e.type === 'tool_execution_start');
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(20_000); // the person thinks for 2 minutes: 20 s, then 100 s more
    clock.advance(100_000);
    answer.resolve(true);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(10_000); // the tool's own 10 s: inside the 30 s it still has
    const { result, events } = await finish(run);
    expect(result.status).toBe('completed');
    expect(provider.contexts[1]?.messages.at(-1)).toMatchObject({ role: 'tool', content: 'ran' });
    expect(ofType(events, 'tool_execution_end')[0]).toMatchObject({ isError: false });
  });

  it("uses a tool's own timeoutMs over turnTimeoutMs", async () => {
    const clock = new FakeClock();
    const tools = fakeTools({ slow: { timeoutMs: 1000, run: () => new Promise<string>(() => {}) } });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'slow' }] }, { text: 'ok' }]);
    const run = startAgentRun(runOptions(provider, { tools, clock, budgets: { turnTimeoutMs: 60_000 } }));
    await waitForEvent(run, (e) => e.type === 'tool_execution_start');
    clock.advance(1000);
    await finish(run);
    expect(provider.contexts[1]?.messages.at(-1)?.content).toBe(
      'tool slow timed out after 1 s and was stopped',
    );
  });

  it('forwards a tool progress report as a progress event', async () => {
    const tools = fakeTools({
      web_fetch: {
        run: (_args, context) => {
          context.onProgress?.('downloaded 2 MB');
          return 'page';
        },
      },
    });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'web_fetch' }] }, { text: 'ok' }]);
    const { events } = await start(runOptions(provider, { tools }));
    expect(ofType(events, 'progress').map((e) => e.progress.message)).toContain(
      '[1/8] web_fetch: downloaded 2 MB',
    );
  });
});
