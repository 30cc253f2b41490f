/**
 * The log lines of the foreground hosts (`oxydra channels run`, `oxydra scheduler run`) on
 * stderr: a time stamp, then one line. Much of what a line carries comes from strangers and
 * models (a sender's or bot's display name, a platform's error text, a schedule's name, a run's
 * error), so every control and invisible format character in it is written out as an escape
 * (`visibleLine`), as is a line break: such text can neither redraw the terminal nor start a
 * line of its own that reads like one of ours. A log that is redirected to a file gets the same
 * lines, which `cat` or `tail -f` will draw on a terminal later.
 */
import { visibleLine } from '@oxydra/types';

/** A logger writing `HH:MM:SS <line>` lines to `write` (stderr by default). */
export function stampedLog(
  write: (text: string) => unknown = (text) => process.stderr.write(text),
): (line: string) => void {
  return (line) => {
    write(`${new Date().toISOString().slice(11, 19)} ${visibleLine(line)}\n`);
  };
}
