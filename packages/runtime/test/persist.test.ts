import { Cancelled, type Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { type AgentRun, startAgentRun } from '../src/index.js';
import {
  deferred,
  expectPairsIntact,
  fakeTools,
  finish,
  hangingStream,
  recordingPersist,
  runOptions,
  scriptedProvider,
  settle,
  start,
  waitForEvent,
} from './helpers.js';

const text = (m: Message) => `${m.role}: ${typeof m.content === 'string' ? m.content : '[parts]'}`;

describe('persist: durable turns', () => {
  it('is called with each completed unit, in order: user messages alone, an assistant with all its results', async () => {
    const { persist, units } = recordingPersist();
    let run: AgentRun | undefined;
    const tools = fakeTools({
      file_read: {
        run: (args) => {
          if (args.path === 'b') run?.steer('also check c');
          return `contents of ${String(args.path)}`;
        },
      },
    });
    const provider = scriptedProvider([
      {
        text: 'Reading both.',
        toolCalls: [
          { id: 'a', name: 'file_read', arguments: { path: 'a' } },
          { id: 'b', name: 'file_read', arguments: { path: 'b' } },
        ],
      },
      { text: 'Both read; c too.' },
      { text: 'Second task done.' },
    ]);
    run = startAgentRun(runOptions(provider, { tools, persist, prompt: 'read a and b' }));
    run.followUp('second task');
    const { result } = await finish(run);

    expect(result.status).toBe('completed');
    expect(units.map((unit) => unit.map(text))).toEqual([
      ['user: read a and b'],
      ['assistant: Reading both.', 'tool: contents of a', 'tool: contents of b'],
      ['user: also check c'],
      ['assistant: Both read; c too.'],
      ['user: second task'],
      ['assistant: Second task done.'],
    ]);
    // Together the units are exactly the conversation the run returns, message for message.
    expect(units.flat()).toEqual(result.messages);
    for (const unit of units) expectPairsIntact(unit);
  });

  it('does not pass the history again: it is already stored', async () => {
    const { persist, units } = recordingPersist();
    const history: Message[] = [
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'earlier answer' },
    ];
    const provider = scriptedProvider([{ text: 'ok' }]);
    await start(runOptions(provider, { persist, history, prompt: 'now' }));
    expect(units.flat().map(text)).toEqual(['user: now', 'assistant: ok']);
  });

  it('is awaited: the next model call waits until the unit is saved', async () => {
    const saving = deferred();
    const entered = deferred();
    const units: Message[][] = [];
    const persist = async (messages: Message[]) => {
      units.push(messages);
      if (units.length === 2) {
        entered.resolve();
        await saving.promise;
      }
    };
    const tools = fakeTools({ file_list: { run: () => 'a.txt' } });
    const provider = scriptedProvider([{ toolCalls: [{ id: 'c1', name: 'file_list' }] }, { text: 'done' }]);
    const run = startAgentRun(runOptions(provider, { tools, persist }));

    await entered.promise;
    await settle();
    // Held at the barrier: the tool ran and its unit is being saved, but no second call yet.
    expect(units[1]?.map((m) => m.role)).toEqual(['assistant', 'tool']);
    expect(provider.contexts).toHaveLength(1);
    saving.resolve();
    const { result } = await finish(run);
    expect(provider.contexts).toHaveLength(2);
    expect(result.status).toBe('completed');
  });

  it('holds the first model call until the prompt is saved', async () => {
    const saving = deferred();
    const provider = scriptedProvider([{ text: 'hi' }]);
    const run = startAgentRun(runOptions(provider, { persist: () => saving.promise }));
    await settle();
    expect(provider.contexts).toHaveLength(0);
    saving.resolve();
    expect((await finish(run)).result.status).toBe('completed');
    expect(provider.contexts).toHaveLength(1);
  });

  it('a failing save of the prompt fails the run with persistence_error before any model call', async () => {
    const provider = scriptedProvider([{ text: 'never' }]);
    const { result } = await start(
      runOptions(provider, {
        persist: async () => {
          throw new Error('SQLITE_FULL: database or disk is full');
        },
      }),
    );
    expect(provider.contexts).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'failed',
      turns: 0,
      error: {
        code: 'persistence_error',
        message: 'could not save the conversation: SQLITE_FULL: database or disk is full',
      },
    });
  });

  it('a failing save of a tool step stops the run: no further model call', async () => {
    let calls = 0;
    const persist = async () => {
      calls += 1;
      if (calls === 2) throw new Error('disk I/O error');
    };
    const tools = fakeTools({ file_list: { run: () => 'a.txt' } });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'file_list' }] }, { text: 'never' }]);
    const { result } = await start(runOptions(provider, { tools, persist }));

    expect(provider.contexts).toHaveLength(1);
    expect(tools.invocations).toHaveLength(1);
    expect(result).toMatchObject({
      status: 'failed',
      turns: 1,
      error: { code: 'persistence_error', message: 'could not save the conversation: disk I/O error' },
    });
  });

  it('on cancel mid-tool, saves the assistant message with its "no result" stand-ins as one valid unit', async () => {
    const { persist, units } = recordingPersist();
    const tools = fakeTools({
      file_read: {
        run: (_args, context) =>
          new Promise<string>((_, reject) =>
            context.signal.addEventListener('abort', () => reject(new Cancelled())),
          ),
      },
      file_write: { safety: 'side_effecting', run: () => 'never runs' },
    });
    const provider = scriptedProvider([
      {
        toolCalls: [
          { id: 'r', name: 'file_read' },
          { id: 'w', name: 'file_write' },
        ],
      },
    ]);
    const run = startAgentRun(runOptions(provider, { tools, persist }));
    await waitForEvent(run, (e) => e.type === 'tool_execution_start' && e.id === 'r');
    run.cancel('user pressed Ctrl+C');
    const { result } = await finish(run);

    expect(result.status).toBe('cancelled');
    expect(units).toHaveLength(2);
    const last = units[1] ?? [];
    expect(last.map((m) => (m.role === 'tool' ? [m.toolCallId, m.content] : m.role))).toEqual([
      'assistant',
      ['r', 'no result (the run stopped: user pressed Ctrl+C)'],
      ['w', 'no result (the run stopped: user pressed Ctrl+C)'],
    ]);
    expectPairsIntact(units.flat());
    expect(units.flat()).toEqual(result.messages);
  });

  it('on cancel mid-stream, saves nothing of the unfinished answer', async () => {
    const { persist, units } = recordingPersist();
    const provider = scriptedProvider([hangingStream([{ type: 'text_delta', text: 'Half an' }])]);
    const run = startAgentRun(runOptions(provider, { persist }));
    await waitForEvent(run, (e) => e.type === 'text_delta');
    run.cancel();
    const { result } = await finish(run);
    expect(result.status).toBe('cancelled');
    expect(units.map((unit) => unit.map(text))).toEqual([['user: hello']]);
  });

  it('when the save after a cancel fails, the run reports persistence_error, not just cancelled', async () => {
    let calls = 0;
    const persist = async () => {
      calls += 1;
      if (calls === 2) throw new Error('database is locked');
    };
    const tools = fakeTools({
      file_read: {
        run: (_args, context) =>
          new Promise<string>((_, reject) =>
            context.signal.addEventListener('abort', () => reject(new Cancelled())),
          ),
      },
    });
    const provider = scriptedProvider([{ toolCalls: [{ id: 'r', name: 'file_read' }] }]);
    const run = startAgentRun(runOptions(provider, { tools, persist }));
    await waitForEvent(run, (e) => e.type === 'tool_execution_start');
    run.cancel();
    const { result } = await finish(run);
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'persistence_error', message: 'could not save the conversation: database is locked' },
    });
  });
});
