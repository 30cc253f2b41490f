/**
 * Model (and tool) text made inert for the terminal UI before anything draws it: the shared rule
 * (`terminalSafe` in @oxydra/types: no escape sequence, control or bidi character survives),
 * then tabs become spaces (to the next multiple of 4, as Markdown counts them), because a
 * terminal would jump to its own tab stops, which no width calculation here can see.
 */
import { hasTerminalControls, terminalSafe as withoutControls } from '@oxydra/types';

const TAB_STOP = 4;

/** `text` with no terminal control and no tab left in it. Keeps newlines. */
export function terminalSafe(text: string): string {
  const safe = withoutControls(text);
  return safe.includes('\t') ? expandTabs(safe) : safe;
}

/** True when `text` needs terminalSafe (a cheap check for text that was made safe already). */
export function hasControls(text: string): boolean {
  return hasTerminalControls(text) || text.includes('\t');
}

function expandTabs(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes('\t')) return line;
      let out = '';
      for (const char of line) {
        if (char === '\t') out += ' '.repeat(TAB_STOP - (out.length % TAB_STOP));
        else out += char;
      }
      return out;
    })
    .join('\n');
}
