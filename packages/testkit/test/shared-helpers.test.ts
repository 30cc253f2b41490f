/** The shared test helpers: pollUntil's waiting and its failure, tempWorkspace's files and cleanup, and the scripted provider's raw tool arguments. */
import { existsSync, readFileSync } from 'node:fs';
import type { StreamEvent } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { pollUntil, tempWorkspace } from '../src/helpers/index.js';
import { replyEvents, scriptedProvider } from '../src/index.js';

describe('pollUntil', () => {
  it('resolves with the first truthy value, checking again until it comes (sync or async checks)', async () => {
    let checks = 0;
    const value = await pollUntil(() => (++checks >= 3 ? 'ready' : undefined), 'the third check', {
      intervalMs: 1,
    });
    expect(value).toBe('ready');
    expect(checks).toBe(3);
    let asyncChecks = 0;
    await expect(
      pollUntil(async () => ++asyncChecks === 2, 'an async check', { intervalMs: 1 }),
    ).resolves.toBe(true);
  });

  it('fails after the timeout with a message naming what it waited for', async () => {
    await expect(
      pollUntil(() => false, 'the moon to turn blue', { timeoutMs: 20, intervalMs: 5 }),
    ).rejects.toThrow('timed out after 20 ms waiting for the moon to turn blue');
  });

  it('describes the wait on timeout only, with the last state seen when given a function', async () => {
    let checks = 0;
    let described = 0;
    await expect(
      pollUntil(
        () => ++checks > 1000,
        () => `1000 checks (saw ${checks}, described ${++described} time)`,
        {
          timeoutMs: 20,
          intervalMs: 5,
        },
      ),
    ).rejects.toThrow(/waiting for 1000 checks \(saw \d+, described 1 time\)/);
  });

  it('fails at once when the check throws', async () => {
    let checks = 0;
    const failing = pollUntil(
      () => {
        checks++;
        throw new Error('broken check');
      },
      'nothing',
      { timeoutMs: 60_000 },
    );
    await expect(failing).rejects.toThrow('broken check');
    expect(checks).toBe(1);
  });
});

describe('tempWorkspace', () => {
  it('makes a fresh directory with the given files, writes more by relative path, and removes it all', () => {
    const one = tempWorkspace({ prefix: 'oxydra-testkit-', files: { '.oxydra/agent.toml': 'x = 1\n' } });
    const two = tempWorkspace();
    try {
      expect(one.dir).not.toBe(two.dir);
      expect(one.dir).toContain('oxydra-testkit-');
      expect(readFileSync(one.path('.oxydra', 'agent.toml'), 'utf8')).toBe('x = 1\n');
      const written = one.write('a/b/c.txt', 'deep');
      expect(written).toBe(one.path('a/b/c.txt'));
      expect(readFileSync(written, 'utf8')).toBe('deep');
    } finally {
      one.cleanup();
      two.cleanup();
    }
    expect(existsSync(one.dir)).toBe(false);
    expect(() => one.cleanup()).not.toThrow();
  });
});

describe('scripted tool calls with raw arguments', () => {
  it('sends the raw text and, with a parse error, empty arguments and the error', async () => {
    const events = replyEvents({
      toolCalls: [{ id: 'c1', name: 't', arguments: {}, raw: '{"a":', parseError: 'bad JSON' }],
    });
    expect(events).toContainEqual({ type: 'tool_call_delta', index: 0, argumentsDelta: '{"a":' });
    expect(events).toContainEqual({
      type: 'tool_call_end',
      index: 0,
      id: 'c1',
      name: 't',
      arguments: {},
      rawArguments: '{"a":',
      parseError: 'bad JSON',
    });
  });

  it('records the options each call was given', async () => {
    const provider = scriptedProvider([{ text: 'hi' }]);
    const controller = new AbortController();
    const drain = async (events: AsyncIterable<StreamEvent>) => {
      for await (const _ of events);
    };
    await drain(provider.stream({ model: 'm', messages: [] }, { signal: controller.signal }));
    await drain(provider.stream({ model: 'm', messages: [] }));
    expect(provider.calls[0]?.options?.signal).toBe(controller.signal);
    expect(provider.calls[1]?.options).toBeUndefined();
  });
});
