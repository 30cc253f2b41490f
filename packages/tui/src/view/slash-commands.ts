/** The TUI's slash commands: parsing a typed line into one, and the help text. */
import { matchSessionId, sessionIdProblem } from '@oxydra/types';

export type SlashCommand =
  | { name: 'new'; displayName?: string }
  | { name: 'sessions' }
  | { name: 'switch'; target: string }
  | { name: 'cancel' }
  | { name: 'cancelall' }
  | { name: 'status' }
  | { name: 'help' }
  | { name: 'exit' };

export type ParsedLine =
  | { kind: 'prompt'; text: string }
  | { kind: 'command'; command: SlashCommand }
  | { kind: 'invalid'; problem: string };

export const HELP_LINES = [
  'commands:',
  '  /new [name]          start a new session (optionally named) and switch to it',
  '  /sessions            list your sessions (* marks this one)',
  '  /switch <id>         switch to a session by its short id (as /sessions shows it) or full id',
  '  /cancel              cancel the running turn (also Ctrl+C)',
  '  /cancelall           cancel every running turn of yours, in all sessions',
  "  /status              ask the gateway for its health and this session's state",
  '  /help                this list',
  '  /exit                quit (also Ctrl+C when no turn is running, or Ctrl+D on an empty prompt)',
  'keys: Enter sends · Alt+Enter or Ctrl+J inserts a newline · Up/Down recall earlier prompts',
  '      Ctrl+A/Ctrl+E line start/end · Ctrl+U/Ctrl+K delete to line start/end · Ctrl+W delete a word',
  'a line starting with // is sent as a prompt beginning with /',
];

/** What a submitted line is: a prompt, a slash command, or a mistyped command. */
export function parseLine(line: string): ParsedLine {
  const trimmed = line.trim();
  if (trimmed.startsWith('//')) return { kind: 'prompt', text: line.trimStart().slice(1) };
  if (!trimmed.startsWith('/')) return { kind: 'prompt', text: line };
  const [word = '', ...rest] = trimmed.slice(1).split(/\s+/);
  const argument = rest.join(' ');
  const noArgument = (command: SlashCommand): ParsedLine =>
    argument === ''
      ? { kind: 'command', command }
      : { kind: 'invalid', problem: `/${word} takes no argument; /help lists the commands` };
  switch (word.toLowerCase()) {
    case 'new':
      return {
        kind: 'command',
        command: argument ? { name: 'new', displayName: argument } : { name: 'new' },
      };
    case 'sessions':
      return noArgument({ name: 'sessions' });
    case 'switch':
      if (argument === '' || rest.length > 1)
        return { kind: 'invalid', problem: 'usage: /switch <session id> (see /sessions)' };
      return { kind: 'command', command: { name: 'switch', target: argument } };
    case 'cancel':
      return noArgument({ name: 'cancel' });
    case 'cancelall':
      return noArgument({ name: 'cancelall' });
    case 'status':
      return noArgument({ name: 'status' });
    case 'help':
    case '?':
      return { kind: 'command', command: { name: 'help' } };
    case 'exit':
    case 'quit':
      return { kind: 'command', command: { name: 'exit' } };
    default:
      return { kind: 'invalid', problem: `unknown command /${word}; /help lists the commands` };
  }
}

/** Which of `ids` a /switch target means: the exact id, else the one its short id or prefix names. */
export function matchSession(
  target: string,
  ids: readonly string[],
): { ok: true; id: string } | { ok: false; problem: string } {
  const match = matchSessionId(target, ids);
  if (match.ok) return match;
  const problem = sessionIdProblem(target, match.candidates);
  return { ok: false, problem: match.candidates.length === 0 ? `${problem}; /sessions lists them` : problem };
}
