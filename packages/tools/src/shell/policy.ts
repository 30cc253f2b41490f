/**
 * The [tools.shell] command policy: deny patterns, allow patterns and shell operators. A pattern
 * with `*` at its start and/or end is a glob over the whole command (`git *`, `*sudo*`); a single
 * word without `*` names a program (`ls` allows `ls -la`); anything else must equal the command.
 * With operators allowed, each part of a pipeline or list is checked on its own, so
 * `ls; rm -rf x` is not allowed by `ls`. Command substitutions are not looked into: for a strict
 * allowlist also set allow_operators = false. The OS sandbox, not this list, is the boundary.
 */

export interface ShellPolicy {
  allow: readonly string[];
  deny: readonly string[];
  allowOperators: boolean;
}

interface Parsed {
  /** Operators found outside quotes, in order of appearance, each once. */
  operators: string[];
  /** The simple commands between list and pipeline operators, trimmed. */
  segments: string[];
}

/** Splits at |, ||, &&, ;, & and newlines outside quotes, noting every operator and redirection. */
export function parseCommand(command: string): Parsed {
  const operators = new Set<string>();
  const segments: string[] = [];
  let current = '';
  let quote: "'" | '"' | undefined;
  const split = (operator: string) => {
    operators.add(operator);
    segments.push(current);
    current = '';
  };
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!;
    const next = command[i + 1];
    if (quote === "'") {
      if (char === "'") quote = undefined;
      current += char;
      continue;
    }
    if (char === '\\' && next !== undefined) {
      current += char + next;
      i++;
      continue;
    }
    // Substitutions run commands even inside double quotes.
    if (char === '`') operators.add('`');
    if (char === '$' && next === '(') operators.add('$(');
    if (quote === '"') {
      if (char === '"') quote = undefined;
      current += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      current += char;
    } else if (char === '|' || char === ';' || char === '\n') {
      const double = char === '|' && next === '|';
      split(double ? '||' : char === '\n' ? 'newline' : char);
      if (double) i++;
    } else if (char === '&' && next === '&') {
      split('&&');
      i++;
    } else if (char === '&' && (current.endsWith('>') || current.endsWith('<') || next === '>')) {
      current += char; // part of a redirection: 2>&1, &>file
    } else if (char === '&') {
      split('&');
    } else {
      if (char === '>' || char === '<') operators.add(char);
      current += char;
    }
  }
  segments.push(current);
  return { operators: [...operators], segments: segments.map((s) => s.trim()).filter((s) => s !== '') };
}

const programOf = (segment: string): string => segment.split(/\s+/)[0] ?? '';
const baseName = (program: string): string => program.slice(program.lastIndexOf('/') + 1);

export function matchesPattern(pattern: string, command: string): boolean {
  const p = pattern.trim();
  const text = command.trim();
  if (p === '*') return true;
  const leading = p.startsWith('*');
  const trailing = p.endsWith('*');
  const core = p.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (leading && trailing) return text.includes(core);
  if (trailing) return text.startsWith(core);
  if (leading) return text.endsWith(core);
  if (!/\s/.test(p)) {
    const program = programOf(text);
    if (program === p || baseName(program) === p) return true;
  }
  return text === p;
}

/** Why the command may not run, or undefined when it may. */
export function checkCommand(command: string, policy: ShellPolicy): string | undefined {
  if (command.trim() === '') return 'the command is empty';
  const { operators, segments } = parseCommand(command);
  if (!policy.allowOperators && operators.length > 0) {
    const shown = operators.map((op) => (op === 'newline' ? 'a line break' : `"${op}"`)).join(', ');
    return (
      `the command uses ${shown}, which [tools.shell] allow_operators = false forbids; ` +
      'run one simple command per call, without pipes, lists, redirections or substitutions'
    );
  }
  for (const part of [command, ...segments]) {
    const denied = policy.deny.find((pattern) => matchesPattern(pattern, part));
    if (denied !== undefined) return `"${part.trim()}" matches [tools.shell] deny pattern "${denied}"`;
  }
  for (const segment of segments) {
    if (!policy.allow.some((pattern) => matchesPattern(pattern, segment))) {
      return `"${segment}" is not allowed by [tools.shell] allow (${policy.allow.map((p) => `"${p}"`).join(', ') || 'empty'})`;
    }
  }
  return undefined;
}
