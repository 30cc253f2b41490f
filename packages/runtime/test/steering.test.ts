import { describe, expect, it } from 'vitest';
import { type AgentRun, startAgentRun } from '../src/index.js';
import { deferred, fakeTools, finish, ofType, runOptions, scriptedProvider } from './helpers.js';

describe('steering', () => {
  it('delivers a steer() sent during a tool batch as a user message after the batch', async () => {
    let run: AgentRun | undefined;
    const tools = fakeTools({
      file_list: {
        run: () => {
          run?.steer('only look at src/');
          return 'src/ test/';
        },
      },
    });
    const provider = scriptedProvider([
      { toolCalls: [{ id: 'c1', name: 'file_list' }] },
      { text: 'Looking at src/ only.' },
    ]);
    run = startAgentRun(runOptions(provider, { tools }));
    const { events, result } = await finish(run);

    expect(result.status).toBe('completed');
    expect(provider.contexts[1]?.messages.slice(-2)).toEqual([
      { role: 'tool', toolCallId: 'c1', toolName: 'file_list', content: 'src/ test/' },
      { role: 'user', content: 'only look at src/' },
    ]);
    const order = events
      .filter((e) => ['tool_execution_end', 'user_message', 'turn_start'].includes(e.type))
      .map((e) => e.type);
    expect(order).toEqual(['turn_start', 'tool_execution_end', 'user_message', 'turn_start']);
    expect(ofType(events, 'user_message')).toEqual([
      { type: 'user_message', text: 'only look at src/', kind: 'steering' },
    ]);
  });

  it('waits for the whole batch: a steer never lands between a tool call and its result', async () => {
    let run: AgentRun | undefined;
    const second = deferred<string>();
    const tools = fakeTools({
      a: {
        run: () => {
          run?.steer('hurry up');
          second.resolve('b result');
          return 'a result';
        },
      },
      b: { run: () => second.promise },
    });
    const provider = scriptedProvider([
      {
        toolCalls: [
          { id: 'a', name: 'a' },
          { id: 'b', name: 'b' },
        ],
      },
      { text: 'ok' },
    ]);
    run = startAgentRun(runOptions(provider, { tools }));
    await finish(run);
    expect(provider.contexts[1]?.messages.slice(-3).map((m) => m.role)).toEqual(['tool', 'tool', 'user']);
  });

  it('a steer that arrives while the model writes its final answer keeps the run going', async () => {
    let run: AgentRun | undefined;
    const provider = scriptedProvider([
      () =>
        (async function* () {
          run?.steer('also mention the tests');
          yield { type: 'text_delta' as const, text: 'Here is the summary.' };
          yield { type: 'finish' as const, reason: 'stop' as const };
        })(),
      { text: 'Summary, with tests.' },
    ]);
    run = startAgentRun(runOptions(provider));
    const { result } = await finish(run);
    expect(result).toMatchObject({
      status: 'completed',
      text: 'Here is the summary.\n\nSummary, with tests.',
      turns: 2,
    });
    expect(provider.contexts[1]?.messages.at(-1)).toEqual({
      role: 'user',
      content: 'also mention the tests',
    });
  });
});

describe('follow-ups', () => {
  it('runs queued follow-ups after the final answer, in order, in the same run', async () => {
    const provider = scriptedProvider([
      { text: 'First answer.' },
      { text: 'Second answer.' },
      { text: 'Third answer.' },
    ]);
    const run = startAgentRun(runOptions(provider, { prompt: 'task one' }));
    run.followUp('task two');
    run.followUp('task three');
    const { events, result } = await finish(run);

    expect(result).toMatchObject({
      status: 'completed',
      text: 'First answer.\n\nSecond answer.\n\nThird answer.',
      turns: 3,
    });
    expect(result.messages.map((m) => `${m.role}: ${String(m.content)}`)).toEqual([
      'user: task one',
      'assistant: First answer.',
      'user: task two',
      'assistant: Second answer.',
      'user: task three',
      'assistant: Third answer.',
    ]);
    expect(ofType(events, 'user_message')).toEqual([
      { type: 'user_message', text: 'task two', kind: 'follow_up' },
      { type: 'user_message', text: 'task three', kind: 'follow_up' },
    ]);
    // A follow-up waits for the answer: it is not slipped in after a tool batch.
    const kinds = events
      .filter((e) => e.type === 'text_delta' || e.type === 'user_message')
      .map((e) => e.type);
    expect(kinds.indexOf('user_message')).toBeGreaterThan(kinds.indexOf('text_delta'));
  });

  it('a follow-up waits while the current task still uses tools', async () => {
    let run: AgentRun | undefined;
    const tools = fakeTools({
      a: {
        run: () => {
          run?.followUp('next task');
          return 'x';
        },
      },
    });
    const provider = scriptedProvider([
      { toolCalls: [{ name: 'a' }] },
      { text: 'task done' },
      { text: 'next done' },
    ]);
    run = startAgentRun(runOptions(provider, { tools }));
    const { result } = await finish(run);
    expect(provider.contexts[1]?.messages.at(-1)?.role).toBe('tool');
    expect(provider.contexts[2]?.messages.slice(-2).map((m) => m.content)).toEqual([
      'task done',
      'next task',
    ]);
    expect(result.text).toBe('task done\n\nnext done');
  });

  it('a follow-up counts against the same turn budget', async () => {
    const provider = scriptedProvider([{ text: 'one' }, { text: 'never' }]);
    const run = startAgentRun(runOptions(provider, { budgets: { maxTurns: 1 } }));
    run.followUp('two');
    const { result } = await finish(run);
    expect(result).toMatchObject({ status: 'failed', text: 'one', turns: 1, error: { kind: 'turns' } });
  });
});
