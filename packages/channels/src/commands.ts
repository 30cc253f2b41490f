/**
 * The chat commands every channel understands: /new (a new conversation), /stop (stop the answer
 * being written), /cost (what this conversation and today cost), /undo (put back the files the
 * last turn changed), /start and /help (what the bot does). In a group a command may name the bot
 * (/new@my_bot). Anything else, including an unknown command, is a prompt for the agent.
 */

export type ChatCommand = 'new' | 'stop' | 'cost' | 'undo' | 'help';

const COMMAND = /^\/([A-Za-z]+)(?:@[A-Za-z0-9_]+)?(?:\s|$)/;

export function chatCommand(text: string): ChatCommand | undefined {
  const name = COMMAND.exec(text.trim())?.[1]?.toLowerCase();
  if (name === 'new' || name === 'stop' || name === 'cost' || name === 'undo') return name;
  if (name === 'help' || name === 'start') return 'help';
  return undefined;
}

export const HELP_TEXT = [
  'Send a message and the agent answers here.',
  '/new starts a new conversation (the agent forgets this one).',
  '/stop stops the answer being written.',
  '/cost says what this conversation and your day have cost, against your spending caps.',
  "/undo puts back the files the agent's last answer here changed.",
].join('\n');

/** A group message's text without the @bot mention that addressed it (Telegram matches names in any case). */
export function withoutMention(text: string, botName: string): string {
  if (botName === '') return text.trim();
  const mention = new RegExp(botName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  return text.replace(mention, ' ').replace(/\s+/g, ' ').trim();
}
