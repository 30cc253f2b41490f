/**
 * How a command's human (non-JSON) output reaches the terminal. Our own lines carry names,
 * descriptions, keys, values and messages that others wrote: a cloned repository's
 * `.oxydra/` files (skills, programs, personas, a registry's names), a model, an MCP or A2A
 * server, a plugin, a chat stranger. So each line is written with every control and invisible
 * format character written out (`visibleControls`: `\x1b`, `\u202e`), which shows a person that
 * something odd is there; a body of text (a skill's instructions, a transcript, a tool's
 * answer, a note) is drawn as `oxydra run` draws a model's text, with them removed
 * (`terminalSafe`). Only newlines and tabs pass either way. `--json` output is written as it is:
 * JSON escapes C0 controls itself and a program reading it needs the exact text.
 */
import { terminalSafe, visibleControls, visibleLine } from '@oxydra/types';

/** Lines of ours, with whatever others wrote in them made visible (see above). */
export function printLines(text: string, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(visibleControls(text));
}

/** A body of text someone else wrote, drawn without its terminal controls. */
export function printBody(text: string, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(terminalSafe(text));
}

/** A `warning: ...` line on stderr, the message kept on it with its controls written out. */
export function printWarning(message: string): void {
  process.stderr.write(`warning: ${visibleLine(message)}\n`);
}
