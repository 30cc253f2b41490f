/**
 * Which text of a conversation is worth finding again: what the user and the assistant said.
 * Tool results are mostly file contents and command output, large and better found by running
 * the tool again, so they are left out unless asked for, and then cut short.
 */
import { type Message, messageText, withoutNul } from '@oxydra/types';

export interface ConversationTextOptions {
  /** Index tool results too (default false). */
  includeToolResults?: boolean;
  /** Characters kept of each tool result (default 640: one chunk). */
  toolResultChars?: number;
}

export function conversationTexts(
  messages: readonly Message[],
  options: ConversationTextOptions = {},
): string[] {
  const limit = options.toolResultChars ?? 640;
  const texts: string[] = [];
  for (const message of messages) {
    if (message.role === 'user' || message.role === 'assistant') texts.push(messageText(message));
    else if (message.role === 'tool' && options.includeToolResults)
      texts.push(message.content.slice(0, limit));
  }
  // Without NUL characters, which a PostgreSQL index cannot hold (withoutNul, @oxydra/types).
  return texts.map(withoutNul).filter((text) => text.trim() !== '');
}
