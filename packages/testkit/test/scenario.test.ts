/** Scenario validation and step selection (matching rules, order, times, reset). */
import {
  MOCK_APIS,
  type MockApi,
  type MockLLM,
  parseScenario,
  ScenarioError,
  type ScenarioStep,
  startMockLLM,
} from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { call, endpoint, type Loose, post, streamedText } from './helpers.js';
import { WIRE_CASES } from './wire-cases.js';

let mock: MockLLM | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function start(api: MockApi, steps: ScenarioStep[]): Promise<MockLLM> {
  mock = await startMockLLM({ api, scenario: steps });
  return mock;
}

function issues(value: unknown): readonly string[] {
  try {
    parseScenario(value);
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  return [];
}

describe('parseScenario', () => {
  it('accepts an object with steps or a bare array', () => {
    const steps = [{ reply: { text: 'hi' } }];
    expect(parseScenario({ steps }).steps).toEqual(steps);
    expect(parseScenario(steps).steps).toEqual(steps);
  });

  it('reports every problem with its key path', () => {
    expect(
      issues({
        steps: [
          { reply: { txt: 'typo' } },
          { reply: { toolCalls: [{ arguments: 5 }] } },
          { fault: { status: 429 }, reply: { text: 'x' } },
          { fault: { status: 500, contextOverflow: true } },
          { match: {}, reply: {} },
          { times: 0, reply: {} },
          { reply: { textChunks: [5, 2] } },
          {},
          { reply: {}, fault: { retryAfter: 2, malformedChunk: false } },
        ],
      }),
    ).toEqual([
      'steps[0].reply.txt: unknown key (expected one of text, reasoning, reasoningSignature, toolCalls, textChunks, argumentChunks, usage, finishReason)',
      'steps[1].reply.toolCalls[0].name: required',
      'steps[1].reply.toolCalls[0].arguments: expected an object or a JSON string, got 5',
      'steps[2].fault: a status fault replaces the answer: remove reply/fixture from this step',
      'steps[3].fault.contextOverflow: needs status 400',
      'steps[4].match: expected at least one of callIndex, lastMessageContains, lastToolResultContains',
      'steps[5].times: expected an integer >= 1, got 0',
      'steps[6].reply.textChunks: expected a number of chunks >= 1 or an ascending array of offsets, got an array',
      'steps[7]: needs a reply, a fixture or a fault',
      'steps[8].fault.retryAfter: only applies with status (an HTTP error fault)',
      'steps[8].fault.malformedChunk: expected true or { "atEvent": n }, got false',
    ]);
  });

  it('has a one-line message naming the source', () => {
    expect(() => parseScenario({ steps: 'nope' }, 'my.json')).toThrow(
      'invalid scenario my.json: scenario.steps: expected an array of steps, got "nope"',
    );
  });

  it('startMockLLM refuses an invalid scenario', async () => {
    await expect(
      startMockLLM({ api: 'gemini', scenario: [{ reply: { usage: { input: 1 } } }] as never }),
    ).rejects.toThrow('steps[0].reply.usage.output: required');
  });

  it('startMockLLM refuses an unknown api', async () => {
    await expect(startMockLLM({ api: 'cohere' as MockApi })).rejects.toThrow(/unknown api "cohere"/);
  });
});

describe('step selection', () => {
  it('plays steps without match in order', async () => {
    const m = await start('openai-chat', [{ reply: { text: 'first' } }, { reply: { text: 'second' } }]);
    expect(streamedText('openai-chat', await (await call(m)).text())).toBe('first');
    expect(streamedText('openai-chat', await (await call(m)).text())).toBe('second');
  });

  it('a matching step wins over the sequence, wherever it is listed', async () => {
    const m = await start('anthropic', [
      { reply: { text: 'default one' } },
      { reply: { text: 'default two' } },
      { match: { lastMessageContains: 'weather' }, reply: { text: 'sunny' } },
      { match: { callIndex: 3 }, fault: { status: 500 } },
    ]);
    expect(streamedText('anthropic', await (await call(m, 'what is the weather?')).text())).toBe('sunny');
    expect(streamedText('anthropic', await (await call(m, 'weather again')).text())).toBe('default one');
    expect(streamedText('anthropic', await (await call(m, 'hello')).text())).toBe('default two');
    expect((await call(m, 'hello')).status).toBe(500);
  });

  it('times: "always" never runs out', async () => {
    const m = await start('gemini', [{ reply: { text: 'again' }, times: 'always' }]);
    for (let i = 0; i < 4; i++) expect(streamedText('gemini', await (await call(m)).text())).toBe('again');
  });

  it('an unmatched call is a readable HTTP 500 naming the call and the last message', async () => {
    const m = await start('openai-chat', [{ reply: { text: 'only one' } }]);
    await call(m);
    const res = await call(m, 'please do X');
    expect(res.status).toBe(500);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(((await res.json()) as Loose).error.message).toBe(
      'mock-llm: no scenario step answers call #1 (1 steps, all used or not matching; last message: "please do X")',
    );
  });

  it('reset() restarts the scenario, the call count and the request log', async () => {
    const m = await start('openai-responses', [{ match: { callIndex: 0 }, reply: { text: 'zero' } }]);
    expect(streamedText('openai-responses', await (await call(m)).text())).toBe('zero');
    expect((await call(m)).status).toBe(500);
    m.reset();
    expect(m.requests).toHaveLength(0);
    expect(streamedText('openai-responses', await (await call(m)).text())).toBe('zero');
    expect(m.requests[0]?.callIndex).toBe(0);
  });
});

describe('lastToolResultContains and lastMessageContains read each API request shape', () => {
  for (const api of MOCK_APIS) {
    it(api, async () => {
      const m = await start(api, [
        { match: { lastToolResultContains: 'city missing' }, reply: { text: 'retrying' }, times: 'always' },
        { match: { lastMessageContains: 'weather?' }, reply: { text: 'asking tool' }, times: 'always' },
      ]);
      // A conversation ending in a tool result, in the API's request shape.
      const round = await post(m, endpoint(api), WIRE_CASES[api].toolRound);
      expect(streamedText(api, await round.text())).toBe('retrying');
      expect(streamedText(api, await (await call(m, 'weather?')).text())).toBe('asking tool');
      expect((await call(m, 'other')).status).toBe(500);
    });
  }
});
