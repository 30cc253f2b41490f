/**
 * Approvals in the chat: a privileged tool call of a chat turn (the kernel's approval_requested)
 * is asked in the conversation as a question with Allow / Deny buttons, and a press answers it
 * through `kernel.approvals.respond`. Each question's buttons carry a random token (never the
 * kernel's approval id), so a value cannot be guessed or replayed into another question. Only
 * the turn's own kernel user may answer: anyone else's press is acknowledged with a note and
 * changes nothing. Questions live in memory: a press of one answered, timed out or asked
 * before a restart is told it is no longer open. When the kernel settles a question (an
 * answer, its timeout, the call ending), the question's text says how, and its buttons go.
 */
import { randomBytes } from 'node:crypto';
import type { ApprovalResolver } from '@oxydra/kernel';
import { type Channel, type ChannelButtonPress, type ChannelTarget, visibleControls } from '@oxydra/types';

export const NO_LONGER_OPEN = 'This question is no longer open.';
const NOT_YOURS = 'Only the person whose message asked for this can answer it.';
const ONLY_DENY = 'This call was too long to show here whole: it can only be denied from the chat.';

/**
 * A tool call's summary (the model's words, so untrusted) too long for one message of the
 * platform cannot be allowed from the chat: the question shows its start and offers Deny only.
 * Before, every summary was cut at 600 characters with `…` and Allow offered: 600 characters of
 * a harmless command, then `; curl … | sh` that nobody was shown, allowed with one press.
 */
const TOO_LONG =
  'more than one message here can show, so it cannot be allowed from the chat (only what you are shown can be). Its start';
/** At most this many questions open at once per host (a runaway turn cannot fill memory). */
const MAX_OPEN = 1000;
const VALUE = /^ap:([A-Za-z0-9_-]{22}):([ad])$/;

/** What a turn's approval_requested says (the kernel's event). */
export interface ApprovalAsked {
  id: string;
  tool: string;
  summary: string;
  expiresAt: string;
}

interface OpenQuestion {
  approvalId: string;
  /** Shown whole, so it may be allowed (else only denied: TOO_LONG). */
  allowable: boolean;
  /** The message whose turn asked (to close what its turn left open). */
  seq: number;
  userId: string;
  target: ChannelTarget;
  text: string;
  /** The question's message id, once sent (undefined: sending failed). */
  sent: Promise<string | undefined>;
}

export class ChatApprovals {
  readonly #open = new Map<string, OpenQuestion>();
  readonly #tokenOf = new Map<string, string>();

  constructor(
    private readonly o: {
      channel: Channel;
      /** The kernel's answer: false when the question is no longer pending. */
      respond: (approvalId: string, allow: boolean) => boolean;
      /** The kernel user a platform sender maps to (undefined: not allowed here). */
      userOf: (senderId: string) => string | undefined;
      log: (line: string) => void;
    },
  ) {}

  /** Asks `asked` in the conversation of message `seq`, for its user `userId`. */
  ask(asker: { seq: number; userId: string; target: ChannelTarget }, asked: ApprovalAsked): void {
    const { channel } = this.o;
    if (this.#open.size >= MAX_OPEN) {
      this.o.log(`${channel.name}: too many open approval questions; ${asked.tool} is denied`);
      this.o.respond(asked.id, false);
      return;
    }
    const token = randomBytes(16).toString('base64url');
    const summary = visibleControls(asked.summary);
    // Shown as written: markup in the model's summary could hide part of the command (a spoiler).
    const shown = channel.literal?.(summary) ?? summary;
    const minutes = Math.max(1, Math.round((Date.parse(asked.expiresAt) - Date.now()) / 60_000));
    const timeout = `(no answer within ${minutes} min counts as Deny)`;
    const askedText = `The agent wants to run ${asked.tool}:\n${shown}\n\nAllow it? ${timeout}`;
    const max = channel.capabilities.maxMessageLength - 64; // room for the outcome line
    const allowable = askedText.length <= max;
    let text = askedText;
    if (!allowable) {
      const head = `The agent wants to run ${asked.tool}, a call of ${summary.length} characters: ${TOO_LONG}:\n`;
      const foot = `…\n\nDeny it? ${timeout}`;
      const room = Math.max(0, max - head.length - foot.length);
      // Cut before literal(): its escapes may lengthen the text, so the result is cut again.
      const start = channel.literal?.(summary.slice(0, room)) ?? summary.slice(0, room);
      text = `${head}${start.slice(0, room)}${foot}`;
    }
    const buttons = [
      ...(allowable ? [{ label: 'Allow', value: `ap:${token}:a` }] : []),
      { label: 'Deny', value: `ap:${token}:d` },
    ];
    const sent = channel.sendQuestion(asker.target, text, buttons).then(
      (m) => m.messageId,
      (error: unknown) => {
        // Nobody can answer a question that was never shown: it is denied now, not at the timeout.
        this.o.log(`${channel.name}: could not ask for approval: ${(error as Error).message}`);
        this.o.respond(asked.id, false);
        return undefined;
      },
    );
    this.#open.set(token, {
      approvalId: asked.id,
      allowable,
      seq: asker.seq,
      userId: asker.userId,
      target: asker.target,
      text,
      sent,
    });
    this.#tokenOf.set(asked.id, token);
  }

  /** The kernel settled a question (approval_resolved): its message says how, without buttons. */
  resolved(approvalId: string, allow: boolean, by: ApprovalResolver): void {
    const token = this.#tokenOf.get(approvalId);
    if (token === undefined) return;
    const outcome =
      by === 'respond'
        ? allow
          ? 'Allowed.'
          : 'Denied.'
        : by === 'timeout'
          ? 'No answer in time: denied.'
          : 'The call ended before an answer: not run.';
    void this.#close(token, outcome);
  }

  /** Closes what message `seq`'s turn left open (its run ended without the kernel saying so). */
  closeTurn(seq: number): void {
    for (const [token, q] of this.#open)
      if (q.seq === seq) void this.#close(token, 'The call ended before an answer: not run.');
  }

  /** A button press: answers the question when it is open and the presser is its user. */
  async press(press: ChannelButtonPress): Promise<void> {
    const note = this.#decide(press);
    await this.o.channel.answerButton(press.id, note).catch((error: unknown) => {
      this.o.log(`${this.o.channel.name}: could not acknowledge a button press: ${(error as Error).message}`);
    });
  }

  #decide(press: ChannelButtonPress): string {
    const match = VALUE.exec(press.value);
    const q = match ? this.#open.get(match[1]!) : undefined;
    if (!match || !q) return NO_LONGER_OPEN;
    if (press.chatId !== q.target.chatId || this.o.userOf(press.sender.id) !== q.userId) return NOT_YOURS;
    const allow = match[2] === 'a';
    if (allow && !q.allowable) return ONLY_DENY;
    // respond publishes approval_resolved, which closes the question (resolved above).
    if (!this.o.respond(q.approvalId, allow)) {
      void this.#close(match[1]!, 'No longer open.');
      return NO_LONGER_OPEN;
    }
    return allow ? 'Allowed.' : 'Denied.';
  }

  async #close(token: string, outcome: string): Promise<void> {
    const q = this.#open.get(token);
    if (!q) return;
    this.#open.delete(token);
    this.#tokenOf.delete(q.approvalId);
    const messageId = await q.sent;
    if (messageId === undefined) return;
    const { channel } = this.o;
    try {
      if (channel.capabilities.edit) await channel.edit(q.target, messageId, `${q.text}\n\n→ ${outcome}`);
      else if (outcome !== 'Allowed.' && outcome !== 'Denied.') await channel.send(q.target, outcome);
    } catch (error) {
      this.o.log(`${channel.name}: could not update an approval question: ${(error as Error).message}`);
    }
  }
}
