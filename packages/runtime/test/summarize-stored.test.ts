/**
 * Rolling summarization: the summary kept in the session's store (loaded, saved with its epoch,
 * another writer's winning), and the view of the conversation read in place after its head.
 */
import type { Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { recallMessage, type SummaryStore, summaryMessage } from '../src/index.js';
import { RollingSummary } from '../src/summarize.js';
import { FakeClock } from './helpers.js';
import {
  answer,
  EXCHANGES,
  MemoryStore,
  PROMPT,
  SYSTEM,
  send,
  summaryLines,
  TRY_AGAIN,
  tokens,
  user,
  WITH_TOOLS,
} from './summarize-helpers.js';

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
