/**
 * A run's sources (the provenances handed to each tool call) start from the history's: the last
 * fold is kept per conversation, so a stored session's next turn does not re-read every message
 * (src/loop.ts, ContextProvenance). Same list, same order, as a scan of the whole history.
 */

import { scriptedProvider } from '@oxydra/testkit';
import type { Message, Provenance, ToolExecutor, ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { type RunResult, startAgentRun } from '../src/index.js';
import { finish, replyEvents, runOptions, type ScriptedReply } from './helpers.js';

const fetchSpec: ToolSpec = {
  name: 'web_fetch',
  description: 'fetches',
  parameters: { type: 'object', properties: {} },
  safety: 'read_only',
};

/** A tool whose results come from `arguments.url`, recording the sources each call is handed. */
function fetchTool(seen: (readonly Provenance[] | undefined)[]): ToolExecutor {
  return {
    specs: () => [fetchSpec],
    spec: (name) => (name === 'web_fetch' ? fetchSpec : undefined),
    async execute(call, context) {
      seen.push(context.provenance ? [...context.provenance] : undefined);
      return {
        content: 'page text',
        isError: false,
        durationMs: 1,
        provenance: { kind: 'web', source: String(call.arguments.url) },
      };
    },
  };
}

/** One run: `urls` fetched one call each, then an answer; what each call was handed, and the result. */
async function turn(
  history: Message[],
  urls: string[],
  extra: Partial<Parameters<typeof runOptions>[1]> = {},
): Promise<{ seen: (readonly Provenance[] | undefined)[]; result: RunResult }> {
  const seen: (readonly Provenance[] | undefined)[] = [];
  const steps: ScriptedReply[] = [
    ...urls.map((url) => ({ toolCalls: [{ name: 'web_fetch', arguments: { url } }] })),
    { text: 'done' },
  ];
  // The testkit's, not helpers.ts's: that one keeps a structured clone of every context sent.
  const provider = scriptedProvider(({ index }) => replyEvents(steps[index]!));
  const options = runOptions(provider, {
    tools: fetchTool(seen),
    history,
    budgets: { maxTurns: urls.length + 2 },
    ...extra,
  });
  const { result } = await finish(startAgentRun(options));
  return { seen, result };
}

/** A history of `n` fetched pages whose provenance reads are counted. */
function countedHistory(n: number, reads: { count: number }): Message[] {
  const messages: Message[] = [];
  for (let i = 0; i < n; i++) {
    messages.push({ role: 'user', content: `fetch ${i}` });
    messages.push({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: `c${i}`, name: 'web_fetch', arguments: { url: `u${i}` } }],
    });
    const provenance: Provenance = { kind: 'web', source: `https://site${i % 80}.example/` };
    const result = { role: 'tool', toolCallId: `c${i}`, toolName: 'web_fetch', content: 'text' } as Message;
    Object.defineProperty(result, 'provenance', {
      enumerable: true,
      get: () => {
        reads.count++;
        return provenance;
      },
    });
    messages.push(result);
    messages.push({ role: 'assistant', content: 'ok' });
  }
  return messages;
}

describe('a run continuing the previous run of its session', () => {
  it('reads no provenance of the history that run already scanned, however long it is', async () => {
    for (const n of [20, 400]) {
      const reads = { count: 0 };
      const first = await turn(countedHistory(n, reads), ['https://a.example/']);
      expect(reads.count).toBeGreaterThanOrEqual(n);
      reads.count = 0;
      // As the kernel's held history gives it: the same objects, then the turn's own as stored.
      const held = first.result.messages.map((message, i) => (i < 4 * n ? message : { ...message }));
      await turn(held, ['https://b.example/']);
      // The old code re-read every one of the n results at each run's start.
      expect(reads.count).toBe(0);
    }
  });

  it('is handed the same sources, in the same order, as a run on a copy of that history', async () => {
    // 80 distinct sites: past the 64 kept by name, the rest are one source of their kind.
    const history = countedHistory(100, { count: 0 });
    // Past the 64 named sources: recorded as its kind alone, the run's only source of that kind.
    const recalledPage = { kind: 'channel' as const, source: 'recalled' };
    const inherited: Provenance[] = [{ kind: 'mcp', source: 'parent-server' }];
    // The first run's recalled and inherited sources are its own: not the next run's.
    const first = await turn(history, ['https://a.example/', 'https://site3.example/'], {
      recall: async () => [{ text: 'a recalled line', provenance: [recalledPage] }],
      inheritedProvenance: inherited,
    });
    const channel = (seen: readonly Provenance[] | undefined) => seen?.filter((p) => p.kind === 'channel');
    expect(channel(first.seen.at(-1))).toEqual([{ kind: 'channel' }]);
    for (const extra of [{}, { inheritedProvenance: inherited }]) {
      const continued = await turn(
        first.result.messages,
        ['https://b.example/', 'https://a.example/'],
        extra,
      );
      const copied = await turn(
        [...first.result.messages],
        ['https://b.example/', 'https://a.example/'],
        extra,
      );
      expect(continued.seen).toEqual(copied.seen);
      expect(channel(continued.seen[0])).toEqual([]);
      expect(continued.result.messages.slice(first.result.messages.length)).toEqual(
        copied.result.messages.slice(first.result.messages.length),
      );
    }
  });

  it('scans anew a history whose earlier messages are not the ones folded (replaced in place too)', async () => {
    const history = countedHistory(3, { count: 0 });
    await turn(history, ['https://a.example/']);
    // The same first message (the fold's key), a different result after it, in the same array.
    history[2] = { ...history[2]!, provenance: { kind: 'mcp', source: 'swapped' } } as Message;
    const next = await turn(history, ['https://b.example/']);
    expect(next.seen[0]).toEqual([
      { kind: 'mcp', source: 'swapped' },
      { kind: 'web', source: 'https://site1.example/' },
      { kind: 'web', source: 'https://site2.example/' },
    ]);
  });
});
