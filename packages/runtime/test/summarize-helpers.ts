/**
 * Shared by the summarize-*.test.ts files: conversations sized for a window, a run sent with
 * rolling summarization on, its progress lines, and an in-memory summary store.
 */
import { countMessageTokens } from '@oxydra/provider';
import type { Message } from '@oxydra/types';
import type { AgentRunOptions, StoredSummary, SummarizationOptions, SummaryStore } from '../src/index.js';
import { ofType, runOptions, type ScriptedProvider, scriptedProvider, start, testModel } from './helpers.js';

export const SYSTEM: Message = { role: 'system', content: 'You are a test agent.' };
export const NO_BUFFER = { safetyBufferTokens: 0, fallbackMaxContextTokens: 1 };
export const words = (n: number, word = 'word') => `${word} `.repeat(n).trim();
export const user = (content: string): Message => ({ role: 'user', content });
export const answer = (content: string): Message => ({ role: 'assistant', content });
export const PROMPT = user('task five');

/** Four plain exchanges of about 60 words each side. */
export const EXCHANGES: Message[] = [1, 2, 3, 4].flatMap((n) => [
  user(`task ${n} ${words(60, `ask${n}`)}`),
  answer(`answer ${n} ${words(60, `reply${n}`)}`),
]);

/** Exchanges with tool steps; the last task was interrupted (its call has a stand-in result). */
export const WITH_TOOLS: Message[] = [
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
export const TRY_AGAIN = user('try again');

/** Exact prompt tokens of these messages sent as they are (no tools). */
export const tokens = (messages: Message[]) => countMessageTokens(messages);

export interface Sent {
  provider: ScriptedProvider;
  result: Awaited<ReturnType<typeof start>>['result'];
  events: Awaited<ReturnType<typeof start>>['events'];
  /** The messages of the first model call. */
  first: Message[];
}

export async function send(
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

export const summaryLines = (events: Sent['events']) =>
  ofType(events, 'progress')
    .filter((e) => e.progress.kind === 'rolling_summary')
    .map((e) => e.progress.message);

/** A session_state row with the store's compare-and-set: the epoch goes up on every save. */
export class MemoryStore implements SummaryStore {
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
