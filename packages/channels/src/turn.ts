/**
 * One prompt from a chat, run through the kernel and streamed back: a placeholder message is
 * sent, edited as the answer grows (throttled, see throttle.ts), and the final answer (split
 * into parts the platform accepts) is returned for the outbox, which sends it durably. The turn
 * is one `kernel.agents.spawn` on the conversation's session, as the gateway's turns are.
 */
import { Admission, type Kernel } from '@oxydra/kernel';
import type { Clock } from '@oxydra/runtime';
import type { Channel, ChannelInbound, ChannelTarget, NewChannelOutbound } from '@oxydra/types';
import type { ChatApprovals } from './approvals.js';
import { answerFiles } from './files.js';
import { isRelayed } from './relayed.js';
import { stopNote } from './running-turns.js';
import { splitMessage } from './split.js';
import { EditThrottle } from './throttle.js';
import { type ChannelSlots, takeTurnSlots, type UserSlots } from './turn-slots.js';

/** What a turn needs of the kernel (the host holds it): its agents. */
export type TurnKernel = {
  agents: Pick<Kernel['agents'], 'spawn'>;
};

const PLACEHOLDER = '…';

/**
 * Ends the text while it streams: the message shows a finished answer only once the turn has
 * finished and is stored (the model may still call a tool after its last word, and a restart
 * meanwhile gets the "stopped while answering" note, which must not follow an answer that looked
 * whole).
 */
export const STREAMING_MARK = ' …';

/** How long after the first text the first streamed edit waits (a quick answer is one final edit). */
const FIRST_EDIT_DELAY_MS = 250;

export interface TurnOutcome {
  status: 'answered' | 'failed' | 'stopped';
  parts: NewChannelOutbound[];
  /** How long the first part must wait before it is sent (the platform's edit interval). */
  waitMs: number;
}

export async function runChatTurn(input: {
  kernel: TurnKernel;
  userSlots: UserSlots;
  channel: Channel;
  message: ChannelInbound;
  sessionId: string | undefined;
  agent: string | undefined;
  /** Asks the turn's approval questions in the chat; unset: a privileged call is denied (nobody answers). */
  approvals?: ChatApprovals | undefined;
  signal: AbortSignal;
  timer: Clock;
  log: (line: string) => void;
  /** A placeholder sent for this message before (a turn run again): edited instead of a new one. */
  placeholderId?: string | undefined;
  /**
   * Called once the placeholder is known and before the turn is handed to the kernel: the host
   * records where the turn begins (ChannelTurnMark), so a restart can tell how far it got.
   */
  begin?: (placeholderId: string | undefined) => Promise<void>;
  /** The channel's turn slots (max_concurrent_turns), taken with the user's (turn-slots.ts). */
  channelSlots: ChannelSlots;
}): Promise<TurnOutcome> {
  const { channel, message, signal, log } = input;
  const target: ChannelTarget = {
    chatId: message.chatId,
    ...(message.threadId ? { threadId: message.threadId } : {}),
  };
  const max = channel.capabilities.maxMessageLength;
  let placeholder = channel.capabilities.edit ? input.placeholderId : undefined;
  try {
    if (channel.capabilities.edit && placeholder === undefined)
      placeholder = (await channel.send(target, PLACEHOLDER)).messageId;
  } catch (error) {
    log(
      `${channel.name}: could not send the placeholder to chat ${message.chatId}: ${(error as Error).message}`,
    );
  }
  const throttle =
    placeholder !== undefined
      ? new EditThrottle(
          (text) => channel.edit(target, placeholder!, text),
          channel.capabilities.minEditIntervalMs,
          (error) => log(`${channel.name}: a streaming edit failed: ${(error as Error).message}`),
          input.timer,
          PLACEHOLDER,
          Math.min(FIRST_EDIT_DELAY_MS, channel.capabilities.minEditIntervalMs),
        )
      : undefined;

  let streamed = '';
  let outcome: TurnOutcome['status'] = 'failed';
  let text = '';
  let files: string[] = [];
  let release: (() => unknown) | undefined;
  let releaseChannelSlot: (() => unknown) | undefined;
  let unhook = () => {};
  try {
    await input.begin?.(placeholder);
    // A channel slot (round-robin across users) and a slot of the sender's user, so a chat turn
    // counts against the same limit as the user's gateway turns and schedules (a /stop ends the wait).
    const slots = await takeTurnSlots(input.channelSlots, input.userSlots, message.userId, signal);
    const slot = slots.user;
    release = slot;
    releaseChannelSlot = slots.channel;
    const handle = input.kernel.agents.spawn({
      prompt: message.text,
      userId: message.userId,
      provenance: isRelayed(message.text)
        ? { kind: 'channel', source: `${channel.name}:${message.userId} (forwarded)`, relayed: true }
        : { kind: 'channel', source: `${channel.name}:${message.userId}` },
      ...(input.sessionId !== undefined ? { sessionId: input.sessionId } : { persist: false }),
      ...(input.agent !== undefined ? { agent: input.agent } : {}),
      askApprovals: input.approvals !== undefined,
      signal,
    });
    // This process cut off from the deployment: the others reap the run's claim, so it stops.
    unhook = Admission.stopOnCutOff(slot, (why) => void handle.cancel(why.message));
    for await (const envelope of handle.events) {
      // Its sub-agents' questions too (they inherit askApprovals): each is asked in this chat.
      const event = envelope.event;
      if (event.type === 'approval_requested')
        input.approvals?.ask({ seq: message.seq, userId: message.userId, target }, event);
      else if (event.type === 'approval_resolved') input.approvals?.resolved(event.id, event.allow, event.by);
      if (envelope.agentId !== handle.id || envelope.event.type !== 'text_delta') continue;
      streamed += envelope.event.text;
      // While streaming, the message shows the first part and the mark; the rest follows when the
      // answer is done. (Its first part depends only on the first characters: splitting those
      // keeps a long answer from being split again at every delta.)
      const room = max - STREAMING_MARK.length;
      throttle?.update(`${splitMessage(streamed.slice(0, room + 1), room)[0]!}${STREAMING_MARK}`);
    }
    const result = await handle.result;
    if (result.status === 'completed') {
      outcome = 'answered';
      ({ text, files } = finishedAnswer(result.text));
    } else if (signal.aborted || result.status === 'cancelled') {
      outcome = 'stopped';
      text = `${streamed.trim()}\n\n(${stopNote(signal)})`.trim();
    } else {
      text = `Sorry, that failed: ${(result.error?.message ?? 'the run failed').slice(0, 300)}`;
    }
  } catch (error) {
    // spawn refused (an unknown agent, a session of someone else): the person is told why.
    if (signal.aborted) {
      outcome = 'stopped';
      text = `(${stopNote(signal)})`;
    } else text = `Sorry, that failed: ${(error as Error).message.slice(0, 300)}`;
  } finally {
    unhook();
    input.approvals?.closeTurn(message.seq);
    await release?.();
    await releaseChannelSlot?.();
  }
  await throttle?.stop();
  const parts = answerParts(message, { text, files }, placeholder, max);
  // The first edit of the final text waits out the interval, like the stream's own edits; the
  // host waits after storing the answer, so a crash meanwhile loses nothing (the outbox has it).
  return { status: outcome, parts, waitMs: throttle?.waitMs() ?? 0 };
}

/**
 * A finished run's answer: its text without the `[[send_file: <path>]]` lines, and the workspace
 * files those name (sent after the text, files.ts).
 */
export function finishedAnswer(resultText: string): { text: string; files: string[] } {
  const { text, files } = answerFiles(resultText);
  return {
    text: text || (files.length > 0 ? `(${files.length} file${files.length > 1 ? 's' : ''})` : '(no answer)'),
    files,
  };
}

/**
 * What the outbox sends for a message's answer: the text split into parts the platform takes,
 * the first replacing the placeholder, then each file, every part under its own idempotency key.
 */
export function answerParts(
  message: ChannelInbound,
  answer: { text: string; files: readonly string[] },
  placeholder: string | undefined,
  maxMessageLength: number,
): NewChannelOutbound[] {
  const target = { chatId: message.chatId, ...(message.threadId ? { threadId: message.threadId } : {}) };
  const parts: NewChannelOutbound[] = splitMessage(answer.text, maxMessageLength).map((part, i) => ({
    key: `answer:${message.seq}:${i}`,
    ...target,
    text: part,
    ...(i === 0 && placeholder !== undefined ? { editOf: placeholder } : {}),
  }));
  // Sent by the outbox like the text: read from the workspace when sent, each under its own key.
  for (const [i, file] of answer.files.entries())
    parts.push({ key: `answer:${message.seq}:file:${i}`, ...target, text: file, file });
  return parts;
}
