import { countMessageTokens } from '@oxydra/provider';
import { Cancelled, type Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  type AgentRunOptions,
  mechanicalSummary,
  recallMessage,
  type StoredSummary,
  type SummarizationOptions,
  type SummaryStore,
  startAgentRun,
  summaryMessage,
} from '../src/index.js';
import { RollingSummary } from '../src/summarize.js';
import {
  deferred,
  expectPairsIntact,
  FakeClock,
  finish,
  ofType,
  runOptions,
  type ScriptedProvider,
  scriptedProvider,
  start,
  testModel,
} from './helpers.js';

const SYSTEM: Message = { role: 'system', content: 'You are a test agent.' };
const NO_BUFFER = { safetyBufferTokens: 0, fallbackMaxContextTokens: 1 };
const words = (n: number, word = 'word') => `${word} `.repeat(n).trim();
const user = (content: string): Message => ({ role: 'user', content });
const answer = (content: string): Message => ({ role: 'assistant', content });
const PROMPT = user('task five');

/** Four plain exchanges of about 60 words each side. */
const EXCHANGES: Message[] = [1, 2, 3, 4].flatMap((n) => [
  user(`task ${n} ${words(60, `ask${n}`)}`),
  answer(`answer ${n} ${words(60, `reply${n}`)}`),
]);

/** Exchanges with tool steps; the last task was interrupted (its call has a stand-in result). */
const WITH_TOOLS: Message[] = [
  user('set up the project'),
  { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'file_list', arguments: {} }] },
  { role: 'tool', toolCallId: 'c1', toolName: 'file_list', content: words(150, 'file') },
  answer('set up'),
  user('now fix the bug'),
  {
    role: 'assistant',
    content: 'Reading.',
    toolCalls: [
      { id: 'c2', name: 'file_read', arguments: { path: 'a' } },
      { id: 'c3', name: 'file_read', arguments: { path: 'b' } },
    ],
  },
  { role: 'tool', toolCallId: 'c2', toolName: 'file_read', content: words(150, 'alpha') },
  { role: 'tool', toolCallId: 'c3', toolName: 'file_read', content: words(150, 'beta') },
  answer('fixed'),
  user('run the tests'),
  { role: 'assistant', content: '', toolCalls: [{ id: 'c4', name: 'shell_exec', arguments: {} }] },
  {
    role: 'tool',
    toolCallId: 'c4',
    toolName: 'shell_exec',
    content: 'no result (the run stopped: cancelled by the caller)',
    isError: true,
  },
];
const TRY_AGAIN = user('try again');

/** Exact prompt tokens of these messages sent as they are (no tools). */
const tokens = (messages: Message[]) => countMessageTokens(messages);

interface Sent {
  provider: ScriptedProvider;
  result: Awaited<ReturnType<typeof start>>['result'];
  events: Awaited<ReturnType<typeof start>>['events'];
  /** The messages of the first model call. */
  first: Message[];
}

async function send(
  history: Message[],
  prompt: Message,
  window: number,
  summarization: Partial<SummarizationOptions>,
  extra: Partial<AgentRunOptions> = {},
): Promise<Sent> {
  const provider = scriptedProvider([{ text: 'ok' }]);
  const { result, events } = await start(
    runOptions(provider, {
      history,
      prompt: String(prompt.content),
      model: testModel({ contextWindow: window, maxOutputTokens: 0 }),
      contextBudget: NO_BUFFER,
      summarization: { triggerRatio: 0.5, targetRatio: 0.01, minTurns: 4, ...summarization },
      ...extra,
    }),
  );
  return { provider, result, events, first: provider.contexts[0]?.messages ?? [] };
}

const summaryLines = (events: Sent['events']) =>
  ofType(events, 'progress')
    .filter((e) => e.progress.kind === 'rolling_summary')
    .map((e) => e.progress.message);

/** A session_state row with the store's compare-and-set: the epoch goes up on every save. */
class MemoryStore implements SummaryStore {
  saves: { summary: { text: string; covered: number }; expectedEpoch: number | null }[] = [];
  constructor(public stored?: StoredSummary) {}
  async load(): Promise<StoredSummary | undefined> {
    return this.stored ? { ...this.stored } : undefined;
  }
  async save(summary: { text: string; covered: number }, expectedEpoch: number | null): Promise<boolean> {
    this.saves.push({ summary: { ...summary }, expectedEpoch });
    const current = this.stored?.epoch ?? null;
    if (current !== expectedEpoch) return false;
    this.stored = { ...summary, epoch: (current ?? 0) + 1 };
    return true;
  }
}

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

describe('rolling summarization: the stored summary', () => {
  it('a resumed run sends the stored summary, then recalled memory, and skips the covered messages', async () => {
    const store = new MemoryStore({ text: 'Ann is fixing the parser.', covered: 4, epoch: 3 });
    const { first, result } = await send(
      EXCHANGES,
      PROMPT,
      128_000,
      { store },
      { recall: async () => ['tabs'] },
    );
    expect(first).toEqual([
      SYSTEM,
      { role: 'system', content: 'Rolling session summary:\nAnn is fixing the parser.' },
      recallMessage(['tabs']),
      ...EXCHANGES.slice(4),
      PROMPT,
    ]);
    expect(store.saves).toEqual([]);
    expect(result.messages).toEqual([...EXCHANGES, PROMPT, answer('ok')]);
  });

  it('never hides the latest user message or starts the view with an orphaned tool result', async () => {
    const beyond = await send(EXCHANGES, PROMPT, 128_000, {
      store: new MemoryStore({ text: 'S', covered: 99, epoch: 1 }),
    });
    expect(beyond.first).toEqual([SYSTEM, summaryMessage('S'), PROMPT]);
    // Covering up to the middle of a tool step: its results go with their call.
    const mid = await send(WITH_TOOLS, TRY_AGAIN, 128_000, {
      store: new MemoryStore({ text: 'S', covered: 2, epoch: 1 }),
    });
    expect(mid.first).toEqual([SYSTEM, summaryMessage('S'), ...WITH_TOOLS.slice(3), TRY_AGAIN]);
  });

  it('saves with the epoch it loaded, and uses what it saved', async () => {
    const store = new MemoryStore({ text: 'Old summary.', covered: 2, epoch: 1 });
    const T = tokens([SYSTEM, summaryMessage('Old summary.'), ...EXCHANGES.slice(2), PROMPT]);
    const previous: (string | undefined)[] = [];
    const summarize = async (_messages: Message[], prev: string | undefined) => {
      previous.push(prev);
      return 'B summary';
    };
    const { first } = await send(EXCHANGES, PROMPT, 2 * T - 1, { store, summarize });

    expect(previous).toEqual(['Old summary.']);
    expect(store.saves).toEqual([{ summary: { text: 'B summary', covered: 6 }, expectedEpoch: 1 }]);
    expect(store.stored).toEqual({ text: 'B summary', covered: 6, epoch: 2 });
    expect(first).toEqual([SYSTEM, summaryMessage('B summary'), ...EXCHANGES.slice(6), PROMPT]);
  });

  it('when another writer saved first, its summary wins and this run uses it', async () => {
    const store = new MemoryStore({ text: 'Old summary.', covered: 2, epoch: 1 });
    const T = tokens([SYSTEM, summaryMessage('Old summary.'), ...EXCHANGES.slice(2), PROMPT]);
    // While this run's summary model writes, another run on the same session saves its own.
    const summarize = async () => {
      expect(await store.save({ text: 'A summary', covered: 4 }, 1)).toBe(true);
      return 'B summary';
    };
    const { first, events } = await send(EXCHANGES, PROMPT, 2 * T - 1, { store, summarize });

    expect(store.saves.at(-1)).toEqual({ summary: { text: 'B summary', covered: 6 }, expectedEpoch: 1 });
    // The stale write was discarded; the winner's summary is what the model sees.
    expect(store.stored).toEqual({ text: 'A summary', covered: 4, epoch: 2 });
    expect(first).toEqual([SYSTEM, summaryMessage('A summary'), ...EXCHANGES.slice(4), PROMPT]);
    expect(summaryLines(events)).toEqual([
      '[1/8] Summarised 4 earlier messages (summary model)',
      '[1/8] Another run saved the rolling summary first; using its summary (4 messages)',
    ]);
  });

  it('a store that cannot load or save fails the run with persistence_error', async () => {
    const T = tokens([SYSTEM, ...EXCHANGES, PROMPT]);
    const broken = (what: 'load' | 'save'): SummaryStore => ({
      load: async () => {
        if (what === 'load') throw new Error('no such table: session_state');
        return undefined;
      },
      save: async () => {
        throw new Error('readonly database');
      },
    });
    const load = await send(EXCHANGES, PROMPT, 2 * T - 1, { store: broken('load') });
    expect(load.provider.contexts).toHaveLength(0);
    expect(load.result.error).toEqual({
      code: 'persistence_error',
      message: 'could not load the rolling summary: no such table: session_state',
    });
    const save = await send(EXCHANGES, PROMPT, 2 * T - 1, { store: broken('save') });
    expect(save.provider.contexts).toHaveLength(0);
    expect(save.result.error).toEqual({
      code: 'persistence_error',
      message: 'could not save the rolling summary: readonly database',
    });
  });
});

describe('rolling summarization: the view and the stored summary read in place', () => {
  // The filters these replaced (whole-conversation copies every run): the results must not change.
  const oldView = (messages: readonly Message[], covered: number) => {
    let skip = covered;
    return messages.filter((message) => {
      if (message.role === 'system' || skip === 0) return true;
      skip -= 1;
      return false;
    });
  };
  const oldAdopt = (messages: readonly Message[], stored: number) => {
    const conversation = messages.filter((message) => message.role !== 'system');
    const latestUser = conversation.findLastIndex((message) => message.role === 'user');
    let covered = Math.max(0, Math.min(Math.floor(stored), Math.max(0, latestUser)));
    while (covered > 0 && conversation[covered]?.role === 'tool') covered += 1;
    return covered;
  };

  it('gives the old filters’ messages for every stored summary over mixed conversations', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const kinds: Message[] = [
      SYSTEM,
      user('u'),
      answer('a'),
      { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'file_read', arguments: {} }] },
      { role: 'tool', toolCallId: 'c', toolName: 'file_read', content: 'r' },
    ];
    for (let trial = 0; trial < 300; trial++) {
      const messages = Array.from({ length: random(14) }, () => ({
        ...(kinds[random(kinds.length)] as Message),
      }));
      for (const stored of [0, 1, 2, 3, 5, 8, 13, 20, 2.5]) {
        const summary = new RollingSummary(
          {
            triggerRatio: 0.8,
            targetRatio: 0.5,
            minTurns: 1,
            store: { load: async () => ({ text: 's', covered: stored, epoch: 1 }), save: async () => true },
          },
          { signal: new AbortController().signal, timeoutMs: 1000, clock: new FakeClock() },
          () => {},
        );
        await summary.load(messages);
        const view = summary.view(messages);
        const expected = oldView(messages, oldAdopt(messages, stored));
        expect(view).toEqual(expected);
        expect(view.every((message, i) => message === expected[i])).toBe(true);
        // The run's conversation grows at the end between calls: still the old filter's view.
        messages.push({ ...(kinds[random(kinds.length)] as Message) });
        const grown = oldView(messages, oldAdopt(messages.slice(0, -1), stored));
        expect(summary.view(messages)).toEqual(grown);
        messages.pop();
      }
    }
  });
});

describe('rolling summarization: per model call', () => {
  it('reads only the messages after the covered head, once the head is known', async () => {
    const history: Message[] = Array.from({ length: 400 }, (_, i) =>
      i % 2 === 0 ? user(`u${i}`) : answer(`a${i}`),
    );
    let reads = 0;
    const counted = new Proxy(history, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    const summary = new RollingSummary(
      {
        triggerRatio: 0.8,
        targetRatio: 0.5,
        minTurns: 1,
        store: { load: async () => ({ text: 's', covered: 390, epoch: 1 }), save: async () => true },
      },
      { signal: new AbortController().signal, timeoutMs: 1000, clock: new FakeClock() },
      () => {},
    );
    await summary.load(counted);
    summary.view(counted);
    counted.push(user('next'));
    reads = 0;
    const view = summary.view(counted);
    expect(view).toEqual(history.slice(390));
    // The 11 messages after the head, not the 401 of the session (the old filter read them all).
    expect(reads).toBe(11);
  });
});
