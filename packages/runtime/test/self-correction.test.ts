import { describe, expect, it } from 'vitest';
import { fakeTools, repeatSteps, runOptions, scriptedProvider, start } from './helpers.js';

const failingRead = () =>
  fakeTools({
    file_read: {
      run: (args) => {
        throw new Error(`ENOENT: ${String(args.path)}`);
      },
    },
  });

describe('self-correction', () => {
  it('stops when the same call (same tool, same arguments) fails 3 times', async () => {
    const tools = failingRead();
    // Key order differs between attempts: still the same call.
    const provider = scriptedProvider([
      { toolCalls: [{ name: 'file_read', arguments: { path: 'x.txt', limit: 5 } }] },
      { toolCalls: [{ name: 'file_read', arguments: { limit: 5, path: 'x.txt' } }] },
      { toolCalls: [{ name: 'file_read', arguments: { path: 'x.txt', limit: 5 } }] },
      { text: 'never' },
    ]);
    const { result } = await start(runOptions(provider, { tools }));

    expect(tools.invocations).toHaveLength(3);
    expect(provider.contexts).toHaveLength(3);
    expect(result).toMatchObject({
      status: 'failed',
      turns: 3,
      error: {
        code: 'budget_exceeded',
        kind: 'repeated_failure',
        message:
          'stopped: the same tool call failed 3 times (file_read {"limit":5,"path":"x.txt"}); last error: ENOENT: x.txt',
      },
    });
    // The third failure is in the conversation, so a continued session shows why it stopped.
    expect(result.messages.at(-1)).toMatchObject({ role: 'tool', content: 'ENOENT: x.txt', isError: true });
  });

  it('lets different failing calls go on: the model is trying other things', async () => {
    const tools = failingRead();
    const provider = scriptedProvider([
      ...['a', 'b', 'c', 'd'].map((path) => ({ toolCalls: [{ name: 'file_read', arguments: { path } }] })),
      { text: 'none of them exist' },
    ]);
    const { result } = await start(runOptions(provider, { tools }));
    expect(result).toMatchObject({ status: 'completed', text: 'none of them exist', turns: 5 });
  });

  it('counts failures of one call across the run, not only consecutive ones', async () => {
    const tools = fakeTools({
      file_read: {
        run: (args) => {
          if (args.path === 'x') throw new Error('ENOENT');
          return 'fine';
        },
      },
    });
    const calls = ['x', 'y', 'x', 'y', 'x'].map((path) => ({
      toolCalls: [{ name: 'file_read', arguments: { path } }],
    }));
    const provider = scriptedProvider([...calls, { text: 'never' }]);
    const { result } = await start(runOptions(provider, { tools }));
    expect(result.turns).toBe(5);
    expect(result.error?.kind).toBe('repeated_failure');
  });

  it('hands invalid arguments back to the model, which corrects them on the next call', async () => {
    const tools = fakeTools({ file_read: { run: (args) => `read ${String(args.path)}` } });
    const provider = scriptedProvider([
      {
        toolCalls: [
          {
            id: 'bad',
            name: 'file_read',
            raw: '{"path": "a.txt"',
            parseError: 'Unexpected end of JSON input',
          },
        ],
      },
      { toolCalls: [{ id: 'good', name: 'file_read', arguments: { path: 'a.txt' } }] },
      { text: 'read it' },
    ]);
    const { result } = await start(runOptions(provider, { tools }));

    expect(result).toMatchObject({ status: 'completed', text: 'read it', turns: 3 });
    expect(tools.invocations[0]).toEqual({
      id: 'bad',
      name: 'file_read',
      arguments: {},
      parseError: 'Unexpected end of JSON input',
    });
    expect(provider.contexts[1]?.messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'bad',
      toolName: 'file_read',
      content: 'invalid arguments for file_read: Unexpected end of JSON input',
      isError: true,
    });
    expect(provider.contexts[2]?.messages.at(-1)).toMatchObject({
      toolCallId: 'good',
      content: 'read a.txt',
    });
  });

  it('stops a model that keeps sending the same unparseable arguments', async () => {
    const tools = fakeTools({ file_read: { run: () => 'x' } });
    const bad = { toolCalls: [{ name: 'file_read', raw: '{"path":', parseError: 'Unexpected end' }] };
    const provider = scriptedProvider(repeatSteps(bad, 5));
    const { result } = await start(runOptions(provider, { tools }));
    expect(result.turns).toBe(3);
    expect(result.error?.message).toContain('file_read "{\\"path\\":"');
  });
});
