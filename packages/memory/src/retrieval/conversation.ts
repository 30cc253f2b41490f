/**
 * Which text of a conversation is worth finding again: what the user and the assistant said.
 * Tool results are mostly file contents and command output, large and better found by running
 * the tool again, so they are left out unless asked for, and then cut short.
 *
 * Each text carries its taint (docs/security.md, "Recalled conversations"): what the context
 * held, besides the operator's words, when it was written. The assistant's words follow everything
 * the run had read by then (`taint`, the run's sources when the messages were saved, and the
 * provenance of the messages before it); a user message is the operator's own unless it came
 * with a provenance (another sender's chat message).
 */
import { chunkTaint, type Message, messageText, type Provenance, withoutNul } from '@oxydra/types';

export interface ConversationTextOptions {
  /** Index tool results too (default false). */
  includeToolResults?: boolean;
  /** Characters kept of each tool result (default 640: one chunk). */
  toolResultChars?: number;
}

export interface ConversationText {
  text: string;
  /** chunkTaint's: undefined when nothing but the operator's words was in the context. */
  taint?: Provenance[];
}

export function conversationTexts(
  messages: readonly Message[],
  options: ConversationTextOptions = {},
  /** The run's sources when `messages` were written (a run's unit; none for a whole stored log). */
  taint: readonly Provenance[] = [],
): ConversationText[] {
  const limit = options.toolResultChars ?? 640;
  const texts: ConversationText[] = [];
  let held = chunkTaint(taint);
  const add = (text: string, textTaint: Provenance[] | undefined) => {
    // Without NUL characters, which a PostgreSQL index cannot hold (withoutNul, @oxydra/types).
    const clean = withoutNul(text);
    if (clean.trim() === '') return;
    texts.push(textTaint === undefined ? { text: clean } : { text: clean, taint: textTaint });
  };
  for (const message of messages) {
    const own = message.role === 'user' || message.role === 'tool' ? message.provenance : undefined;
    if (own !== undefined) held = chunkTaint([...(held ?? []), own]);
    if (message.role === 'user') add(messageText(message), own === undefined ? undefined : chunkTaint([own]));
    else if (message.role === 'assistant') add(messageText(message), held);
    else if (message.role === 'tool' && options.includeToolResults)
      add(message.content.slice(0, limit), held);
  }
  return texts;
}
