/**
 * Rolling summaries written by a model: [runtime.summarization] provider/model (a cheaper one,
 * typically) or the run's own. The provider is created on the first summary, so a missing key
 * for the summary model never blocks a run: the hook throws and the runtime falls back to its
 * mechanical summary.
 */
import { collectResponse, createProvider, type ProviderSetup } from '@oxydra/provider/core';
import type { AgentRunOptions } from '@oxydra/runtime';
import { type AgentConfig, type Message, messageText, type Usage } from '@oxydra/types';

/** The runtime's hook, whose answer is the text alone. */
type Summarize = NonNullable<NonNullable<AgentRunOptions['summarization']>['summarize']>;

/** A summary, what writing it cost and which model wrote it, so the caller can charge it to a budget. */
export type PricedSummarize = (
  ...args: Parameters<Summarize>
) => Promise<{ text: string; usage: Usage; provider: string; model: string }>;

const INSTRUCTIONS = `You condense conversations between a user and an AI agent working on the user's files.
Write a compact summary that lets the agent continue without the original messages: the user's goals and
preferences, decisions made, facts learned (names, numbers, paths, commands and their results), what was
done and what is still open. Keep every concrete detail that may matter later; drop pleasantries. Plain
text, at most 300 words.`;

const MAX_MESSAGE_CHARS = 2000;

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)} [...]` : text;
}

/** The messages as a transcript the summarising model reads. */
function transcriptOf(messages: readonly Message[]): string {
  return messages
    .map((message) => {
      if (message.role === 'tool') {
        return `tool ${message.toolName}${message.isError ? ' (failed)' : ''}: ${clip(message.content)}`;
      }
      const calls =
        message.role === 'assistant' && message.toolCalls?.length
          ? ` [called ${message.toolCalls.map((call) => `${call.name} ${JSON.stringify(call.arguments)}`).join('; ')}]`
          : '';
      return `${message.role}: ${clip(messageText(message))}${calls}`;
    })
    .join('\n');
}

export function modelSummarizer(config: AgentConfig, env: NodeJS.ProcessEnv): PricedSummarize {
  let setup: ProviderSetup | undefined;
  return async (messages, previousSummary, signal) => {
    const { provider, model } = config.runtime.summarization;
    setup ??= createProvider(config, {
      env,
      ...(provider !== undefined ? { providerName: provider } : {}),
      ...(model !== undefined ? { model } : {}),
    });
    const request = [
      previousSummary ? `Summary so far:\n${previousSummary}\n` : '',
      `Conversation to fold into the summary:\n${transcriptOf(messages)}`,
    ].join('\n');
    const response = await collectResponse(
      setup.provider.stream(
        {
          model: setup.model.id,
          maxOutputTokens: 1024,
          messages: [
            { role: 'system', content: INSTRUCTIONS },
            { role: 'user', content: request },
          ],
        },
        { signal },
      ),
    );
    const text = response.message.content.trim();
    if (text === '') throw new Error('the summary model returned no text');
    return { text, usage: response.usage, provider: setup.providerName, model: setup.model.id };
  };
}
