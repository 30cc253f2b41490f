/**
 * Why a tool failed, in one line for a person watching (the CLI's `file_read failed: ...`, the
 * TUI's ✗ line): the first non-empty line of the error the model was sent, shortened. The model
 * itself gets the whole text.
 */
const MAX_CHARS = 160;

export function toolFailureLine(content: string): string {
  const first =
    content
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'failed';
  return first.length > MAX_CHARS ? `${first.slice(0, MAX_CHARS - 3)}...` : first;
}
