/**
 * A kernel whose long session gets summarised and whose memory embeds through the mock: the
 * scenario the costs and budgets tests both charge (summary calls to the agent, embedding calls
 * to the user). A 3,000-token window makes the fourth long note trigger a rolling summary.
 */
import { expect } from 'vitest';
import { testKernel } from './helpers.js';

export const SUMMARY_MARK = 'Conversation to fold into the summary';

export function summarizingKernel() {
  return testKernel(
    [
      {
        match: { lastMessageContains: SUMMARY_MARK },
        reply: { text: 'Summary: codename FALCON-7.', usage: { input: 50_000, output: 1_000 } },
        times: 'always',
      },
      { reply: { text: 'Acknowledged.', usage: { input: 10, output: 1 } }, times: 'always' },
    ],
    {
      runtime: {
        context_budget: { trigger_ratio: 0.5, safety_buffer_tokens: 0 },
        summarization: { min_turns: 2 },
      },
      providers: { registry: { mock: { max_context_tokens: 3000, max_output_tokens: 200 } } },
      memory: {
        embedding_backend: 'openai',
        embedding_provider: 'mock',
        embedding_model: 'text-embedding-3-small',
      },
      // The 3,000-token window is sized to the prompt and tools without the skill list.
      skills: { enabled: false },
    } as never,
  );
}

/** Four long notes from user gus in session "long"; each turn must complete. */
export async function runLongSession(kernel: Awaited<ReturnType<typeof summarizingKernel>>['kernel']) {
  const filler = 'Background detail for the record. '.repeat(20);
  for (let i = 0; i < 4; i++) {
    const result = await kernel.agents.spawn({
      prompt: `Note ${i}: ${filler}`,
      userId: 'gus',
      sessionId: 'long',
    }).result;
    expect(result.status).toBe('completed');
  }
}
