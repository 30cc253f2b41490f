/** Rolling summarization: when a run condenses its oldest messages, and what it sends in their place. */
import { Cancelled, type Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { mechanicalSummary, startAgentRun, summaryMessage } from '../src/index.js';
import {
  deferred,
  expectPairsIntact,
  FakeClock,
  finish,
  runOptions,
  scriptedProvider,
  testModel,
} from './helpers.js';
import {
  answer,
  EXCHANGES,
  NO_BUFFER,
  PROMPT,
  SYSTEM,
  send,
  summaryLines,
  TRY_AGAIN,
  tokens,
  user,
  WITH_TOOLS,
  words,
} from './summarize-helpers.js';

describe('rolling summarization: when', () => {
  const T = tokens([SYSTEM, ...EXCHANGES, PROMPT]);

  it('does not summarize a prompt at exactly trigger_ratio of the window', async () => {
    // T / 2T is exactly 0.5: not above the ratio.
    const { first, events } = await send(EXCHANGES, PROMPT, 2 * T, {});
    expect(first).toEqual([SYSTEM, ...EXCHANGES, PROMPT]);
    expect(summaryLines(events)).toEqual([]);
  });

  it('summarizes a prompt one token over trigger_ratio of the window', async () => {
    const { first, events, result } = await send(EXCHANGES, PROMPT, 2 * T - 1, {});
    expect(first[1]?.content).toMatch(/^Rolling session summary:\n/);
    expect(summaryLines(events)).toEqual(['[1/8] Summarised 6 earlier messages (mechanical summary)']);
    // History is never deleted: the run returns everything.
    expect(result.messages).toEqual([...EXCHANGES, PROMPT, answer('ok')]);
  });

  it('needs min_turns unsummarized messages, however full the window', async () => {
    const history = [user(words(400)), answer(words(400)), user('small'), answer('small')];
    const window = tokens([SYSTEM, ...history, PROMPT]) + 10;
    // Five messages: not enough for six, enough for five.
    const six = await send(history, PROMPT, window, { minTurns: 6 });
    expect(six.first).toEqual([SYSTEM, ...history, PROMPT]);
    expect(summaryLines(six.events)).toEqual([]);
    const five = await send(history, PROMPT, window, { minTurns: 5 });
    expect(summaryLines(five.events)).toEqual(['[1/8] Summarised 2 earlier messages (mechanical summary)']);
    expect(five.first.slice(2)).toEqual([...history.slice(2), PROMPT]);
  });

  it('condenses the oldest exchanges only until the prompt is at most target_ratio of the window', async () => {
    const window = 2 * T - 1;
    const [first, second] = [EXCHANGES.slice(0, 2), EXCHANGES.slice(2, 4)].map((pair) => tokens(pair) - 3);
    // Dropping the first exchange is not enough, dropping the first two is.
    const target = T - (first ?? 0) - (second ?? 0) + 0.5;
    const sent = await send(EXCHANGES, PROMPT, window, { targetRatio: target / window });
    expect(sent.first.slice(2)).toEqual([...EXCHANGES.slice(4), PROMPT]);
    expect(summaryLines(sent.events)).toEqual(['[1/8] Summarised 4 earlier messages (mechanical summary)']);
  });

  it('keeps the newest two messages and the latest user message, whatever the target', async () => {
    const { first } = await send(EXCHANGES, PROMPT, 2 * T - 1, { targetRatio: 0 });
    // The fourth exchange holds one of the two newest messages, so it stays whole.
    expect(first.slice(2)).toEqual([...EXCHANGES.slice(6), PROMPT]);
  });
});

describe('rolling summarization: what', () => {
  const T = tokens([SYSTEM, ...WITH_TOOLS, TRY_AGAIN]);

  it("sends the summary model's text, and only what it does not cover", async () => {
    const calls: { messages: Message[]; previous: string | undefined; signal: AbortSignal }[] = [];
    const summarize = async (messages: Message[], previous: string | undefined, signal: AbortSignal) => {
      calls.push({ messages, previous, signal });
      return '  Ann set up the project and fixed the bug.  ';
    };
    const { first, events } = await send(WITH_TOOLS, TRY_AGAIN, 2 * T - 1, { summarize });

    expect(calls).toHaveLength(1);
    expect(calls[0]?.messages).toEqual(WITH_TOOLS.slice(0, 9));
    expect(calls[0]?.previous).toBeUndefined();
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(first).toEqual([
      SYSTEM,
      { role: 'system', content: 'Rolling session summary:\nAnn set up the project and fixed the bug.' },
      ...WITH_TOOLS.slice(9),
      TRY_AGAIN,
    ]);
    expect(summaryLines(events)).toEqual(['[1/8] Summarised 9 earlier messages (summary model)']);
  });

  it('never condenses a tool call apart from its results, whatever the window', async () => {
    const conversation = [...WITH_TOOLS, TRY_AGAIN];
    let summarized = 0;
    for (let window = 300; window < 2 * T; window += 23) {
      const condensed: Message[][] = [];
      const summarize = async (messages: Message[]) => {
        condensed.push(messages);
        return 'S';
      };
      const { first, result } = await send(WITH_TOOLS, TRY_AGAIN, window, { summarize, targetRatio: 0.2 });
      if (result.status === 'failed') {
        expect(result.error).toMatchObject({ code: 'budget_exceeded', kind: 'tokens' });
        continue;
      }
      const sent = first.filter((m) => m.role !== 'system');
      expectPairsIntact(sent);
      // The latest user message and the two newest messages are always sent.
      expect(sent.slice(-2)).toEqual(conversation.slice(-2));
      for (const messages of condensed) {
        summarized += 1;
        expectPairsIntact(messages);
        expect(messages).toEqual(conversation.slice(0, messages.length));
        expect(conversation[messages.length]?.role).toBe('user');
      }
    }
    expect(summarized).toBeGreaterThan(0);
  });

  it('falls back to the mechanical summary when the summary model fails', async () => {
    const summarize = async () => {
      throw new Error('rate limited');
    };
    const { first, events, result } = await send(WITH_TOOLS, TRY_AGAIN, 2 * T - 1, { summarize });
    const expected = mechanicalSummary(undefined, WITH_TOOLS.slice(0, 9), 1);
    expect(first[1]).toEqual(summaryMessage(expected));
    expect(expected.split('\n')).toEqual([
      'Recent condensed turns:',
      '- [1] user: set up the project',
      '- [2] assistant: (called file_list)',
      expect.stringMatching(/^- \[3\] tool: file_list: file file .*…$/),
      '- [4] assistant: set up',
      '- [5] user: now fix the bug',
      '- [6] assistant: Reading. (called file_read, file_read)',
      expect.stringMatching(/^- \[7\] tool: file_read: alpha .*…$/),
      expect.stringMatching(/^- \[8\] tool: file_read: beta .*…$/),
      '- [9] assistant: fixed',
    ]);
    for (const line of expected.split('\n')) expect(line.length).toBeLessThanOrEqual(180);
    expect(summaryLines(events)).toEqual([
      '[1/8] Summarised 9 earlier messages (mechanical summary: the summary model failed: rate limited)',
    ]);
    expect(result.status).toBe('completed');
  });

  it('falls back when the summary model returns nothing', async () => {
    const { first, events } = await send(WITH_TOOLS, TRY_AGAIN, 2 * T - 1, { summarize: async () => ' \n' });
    expect(first[1]).toEqual(summaryMessage(mechanicalSummary(undefined, WITH_TOOLS.slice(0, 9), 1)));
    expect(summaryLines(events)[0]).toContain('the summary model failed: it returned an empty summary');
  });

  it('falls back when the summary model hangs past turnTimeoutMs', async () => {
    const clock = new FakeClock();
    const asked = deferred();
    const provider = scriptedProvider([{ text: 'ok' }]);
    const run = startAgentRun(
      runOptions(provider, {
        clock,
        history: WITH_TOOLS,
        prompt: 'try again',
        budgets: { turnTimeoutMs: 30_000 },
        model: testModel({ contextWindow: 2 * T - 1, maxOutputTokens: 0 }),
        contextBudget: NO_BUFFER,
        summarization: {
          triggerRatio: 0.5,
          targetRatio: 0.01,
          minTurns: 4,
          summarize: () => {
            asked.resolve();
            return new Promise<string>(() => {});
          },
        },
      }),
    );
    await asked.promise;
    clock.advance(29_999);
    expect(provider.contexts).toHaveLength(0);
    clock.advance(1);
    const { events } = await finish(run);
    expect(provider.contexts[0]?.messages[1]).toEqual(
      summaryMessage(mechanicalSummary(undefined, WITH_TOOLS.slice(0, 9), 1)),
    );
    expect(summaryLines(events)[0]).toContain('the summary model failed: it did not answer within 30 s');
  });

  it('a cancel while the summary model runs cancels the run (no fallback)', async () => {
    const asked = deferred<AbortSignal>();
    const provider = scriptedProvider([{ text: 'never' }]);
    const run = startAgentRun(
      runOptions(provider, {
        history: WITH_TOOLS,
        prompt: 'try again',
        model: testModel({ contextWindow: 2 * T - 1, maxOutputTokens: 0 }),
        contextBudget: NO_BUFFER,
        summarization: {
          triggerRatio: 0.5,
          targetRatio: 0.01,
          minTurns: 4,
          summarize: (_messages, _previous, signal) => {
            asked.resolve(signal);
            return new Promise<string>((_, reject) =>
              signal.addEventListener('abort', () => reject(new Cancelled('aborted'))),
            );
          },
        },
      }),
    );
    const signal = await asked.promise;
    run.cancel('stop');
    const { result, events } = await finish(run);
    expect(signal.aborted).toBe(true);
    expect(result).toMatchObject({ status: 'cancelled', turns: 0 });
    expect(summaryLines(events)).toEqual([]);
    expect(provider.contexts).toHaveLength(0);
  });

  it('extends its own summary as the run goes on, numbering messages across summaries', async () => {
    const long = (n: number) => ({ text: `Answer ${n}. ${words(80, `part${n}`)}` });
    const provider = scriptedProvider([long(1), long(2), long(3), long(4)]);
    const run = startAgentRun(
      runOptions(provider, {
        prompt: 'q1',
        model: testModel({ contextWindow: 1000, maxOutputTokens: 0 }),
        contextBudget: NO_BUFFER,
        summarization: { triggerRatio: 0.1, targetRatio: 0.05, minTurns: 2 },
      }),
    );
    run.followUp('q2');
    run.followUp('q3');
    run.followUp('q4');
    const { result, events } = await finish(run);
    const all = result.messages;
    expect(all).toHaveLength(8);

    const firstSummary = mechanicalSummary(undefined, all.slice(0, 2), 1);
    const secondSummary = mechanicalSummary(firstSummary, all.slice(2, 4), 3);
    expect(secondSummary).toContain('- [1] user: q1');
    expect(secondSummary).toContain('- [3] user: q2');
    expect(provider.contexts[2]?.messages).toEqual([
      SYSTEM,
      summaryMessage(firstSummary),
      ...all.slice(2, 5),
    ]);
    expect(provider.contexts[3]?.messages).toEqual([
      SYSTEM,
      summaryMessage(secondSummary),
      ...all.slice(4, 7),
    ]);
    expect(summaryLines(events)).toEqual([
      '[3/8] Summarised 2 earlier messages (mechanical summary)',
      '[4/8] Summarised 2 earlier messages (mechanical summary)',
    ]);
  });
});
