/**
 * What a start does with a message the last process left running. The mark written before its
 * turn began (ChannelTurnMark) and the kernel's session tell how far the turn got, because the
 * kernel stores the prompt before it first asks the model and the final answer as soon as it
 * has it:
 *
 * - no mark, or nothing stored in the session after it: the turn never reached the model, so it
 *   is run again (no tool can have acted);
 * - the session holds the prompt and, last, an answer with no tool call pending: the turn
 *   finished and only its delivery was cut, so that answer is sent (the person may have seen it
 *   stream already; the placeholder is edited, not a second message sent);
 * - anything else (cut while the model or a tool worked, memory off, the session gone): it is
 *   not run again, since its tools may have acted, and the person is told to send it again.
 */
import { CALL_SEPARATOR } from '@oxydra/runtime';
import { type ChannelInbound, type Message, messageText, type SessionStore } from '@oxydra/types';
import { finishedAnswer } from './turn.js';

export type Recovery =
  | { kind: 'rerun' }
  | { kind: 'answered'; answer: { text: string; files: string[] } }
  | { kind: 'interrupted' };

export async function recoverTurn(
  message: ChannelInbound,
  sessions: Pick<SessionStore, 'loadMessages'> | undefined,
): Promise<Recovery> {
  const mark = message.turn;
  if (mark === undefined) return { kind: 'rerun' };
  if (mark.sessionId === undefined || mark.afterSeq === undefined || !sessions)
    return { kind: 'interrupted' };
  let stored: Message[];
  try {
    stored = await sessions.loadMessages(mark.sessionId, { afterSeq: mark.afterSeq });
  } catch {
    return { kind: 'interrupted' }; // the session was deleted meanwhile: nothing to tell from
  }
  if (stored.length === 0) return { kind: 'rerun' };
  const last = stored.at(-1)!;
  const finished =
    stored[0]!.role === 'user' && last.role === 'assistant' && (last.toolCalls?.length ?? 0) === 0;
  if (!finished) return { kind: 'interrupted' };
  // The run's answer is its model calls' texts in order, as the runtime joins them (provider-call.ts).
  const text = stored
    .filter((m) => m.role === 'assistant')
    .map((m) => messageText(m))
    .filter((t) => t !== '')
    .join(CALL_SEPARATOR);
  return { kind: 'answered', answer: finishedAnswer(text) };
}
