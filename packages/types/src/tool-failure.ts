/**
 * Tool activity in one line for a person watching (the CLI's `-> file_write notes/todo.md` and
 * `file_read failed: ...`, the TUI's and the dashboard's activity lines). The model itself gets
 * the whole text.
 */
const MAX_CHARS = 160;

/** What a tool returned, in one line: its text with whitespace collapsed, shortened. */
export function outputLine(content: string, maxChars = 100): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(no output)';
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 3)}...` : flat;
}

/** Why a tool failed: the first non-empty line of the error the model was sent, shortened. */
export function toolFailureLine(content: string): string {
  const first =
    content
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'failed';
  return first.length > MAX_CHARS ? `${first.slice(0, MAX_CHARS - 3)}...` : first;
}

/** A tool call in a few words: its name and the argument that matters most, shortened. */
export function describeCall(name: string, args: Record<string, unknown>): string {
  const key = ['command', 'path', 'query', 'url'].find((k) => typeof args[k] === 'string');
  const value = key ? String(args[key]) : JSON.stringify(args);
  const oneLine = value.replace(/\s+/g, ' ');
  return `${name} ${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}`;
}
