/**
 * Text from a model, a tool, a web page or another user made inert for a terminal before it is
 * drawn: one home for the rule that the terminal UI, `oxydra run`/`chat` and every list of
 * names share. A model must not be able to recolour the screen, move the cursor to overwrite
 * what was printed, fake a link's target (OSC 8), set the window title or write the clipboard
 * (OSC 52). So whole escape sequences (CSI, OSC, DCS, SOS, PM, APC, two-byte escapes) are
 * removed, then every remaining C0/C1 control but newline and tab, and the invisible format
 * characters that reorder or hide what a line appears to say (bidi marks, embeddings,
 * overrides and isolates, the zero-width space, word joiner and BOM). The zero-width joiner and
 * non-joiner stay: emoji sequences and Persian script need them. A carriage return becomes a
 * line break (a bare one would let text overwrite its own line).
 *
 * Every pattern is bounded or a plain character class, so the cost is linear in the text.
 * At the end, the other character text a person or a model writes must lose before it is kept:
 * NUL, which a store cannot hold (`withoutNul`).
 */

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: matching them is the point
/** A complete CSI sequence (ESC [ or the C1 byte), bounded so a hostile run stays linear. */
const CSI = /(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,8}[@-~]/g;
/** A string command (OSC ESC ], DCS ESC P, SOS ESC X, PM ESC ^, APC ESC _, or their C1 bytes) with its terminator. */
const STRING_COMMAND = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)/g;
/** Two-byte escapes (ESC 7, ESC c, ESC ( B...). */
const SHORT_ESCAPE = /\x1b[ -/]{0,4}[0-~]/g;
/** What is left: C0 but tab and newline, DEL, C1, and the invisible format characters. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const HAS_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
/** What visibleControls writes out: the same, plus carriage returns and line separators. */
const SHOWN =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\r\u2028\u2029]/g;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: matching them is the point

/** `text` with no terminal control left in it (see above). Keeps newlines and tabs. */
export function terminalSafe(text: string): string {
  const lines = text.replace(/\r\n?|[\u2028\u2029]/g, '\n');
  if (!HAS_CONTROL.test(lines)) return lines;
  return lines.replace(STRING_COMMAND, '').replace(CSI, '').replace(SHORT_ESCAPE, '').replace(CONTROL, '');
}

/** True when `text` needs terminalSafe (a cheap check for text that was made safe already). */
export function hasTerminalControls(text: string): boolean {
  return HAS_CONTROL.test(text) || text.includes('\r') || text.includes('\u2028') || text.includes('\u2029');
}

/**
 * Streamed text (a model's deltas) made safe piece by piece. A "\r\n" split across two pieces is
 * one line break, not two. An escape sequence split across pieces loses its ESC here, so what is
 * left of it prints as harmless text.
 */
export class TerminalSafeStream {
  #pendingReturn = false;

  push(piece: string): string {
    let text = piece;
    if (this.#pendingReturn) {
      this.#pendingReturn = false;
      text = text.startsWith('\n') ? text : `\n${text}`;
    }
    if (text.endsWith('\r')) {
      this.#pendingReturn = true;
      text = text.slice(0, -1);
    }
    return terminalSafe(text);
  }

  /** What a trailing "\r" stands for, at the end of the stream. */
  end(): string {
    const rest = this.#pendingReturn ? '\n' : '';
    this.#pendingReturn = false;
    return rest;
  }
}

/**
 * `text` with every control and invisible format character written out as an escape (`\x1b`,
 * `\r`, `\u202e`): for what a person approves, who must see exactly what will run. Stripping
 * them would show a command other than the one that runs; leaving them would let the command
 * redraw or reorder the question it is asked in.
 */
export function visibleControls(text: string): string {
  return text.replace(SHOWN, (char) => {
    if (char === '\r') return '\\r';
    const code = char.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const LINE_BREAK = /\n/g;

/**
 * `text` as part of one line of ours (a name, a key, a log line, a row of a list): every control
 * written out as `visibleControls` does, and each line break as `\n`, so the text can neither
 * drive the terminal nor start a line that reads like one of ours.
 */
export function visibleLine(text: string): string {
  return visibleControls(text).replace(LINE_BREAK, '\\n');
}

/**
 * Text a person or a model wrote, made one printable line: made terminal-safe (`terminalSafe`),
 * line breaks and tabs become spaces, whitespace collapsed, and cut to `max`
 * characters (code points, so no emoji is split) with "…" marking the cut. It stays text: HTML
 * in it is the renderer's to escape.
 */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const clean = terminalSafe(text).replace(/\s+/g, ' ').trim();
  const chars = [...clean];
  if (chars.length <= max) return clean;
  return `${chars
    .slice(0, Math.max(0, max - 1))
    .join('')
    .trimEnd()}…`;
}

/**
 * Where a kernel's warnings go when its host gives no `warn`: one `warning: ...` line on stderr.
 * A warning often quotes what others wrote (an MCP server's stderr, a plugin's error, a skill
 * file's name), so its controls and line breaks are written out: it can neither drive the
 * terminal nor add lines of its own.
 */
export function warnOnStderr(message: string): void {
  process.stderr.write(`warning: ${visibleLine(message)}\n`);
}

/**
 * U+0000 (NUL) in text the stores keep as text or search for. PostgreSQL's text type cannot
 * hold it (SQLSTATE 22021, "invalid byte sequence"), SQLite's can: a note, a tag, a session
 * search, a schedule's prompt or a conversation's indexed text holding one failed on PostgreSQL
 * alone, and a conversation's chunk with one was retried at every later turn, so nothing said
 * after it was indexed. NUL means nothing in text a person or a model writes, so the checks of
 * such input drop it, before any store sees the text, and both stores keep the same thing.
 * (Text stored as JSON needs nothing: JSON writes it as the six characters \u0000.)
 */
export function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}
