/**
 * Bracketed paste (xterm's mode 2004): with it on, the terminal sends a paste as
 * ESC[200~ text ESC[201~. Ink does not know the mode; its input parser would hand the markers
 * to the editor as the text "[200~", and a pasted line break (a CR, as typed Enter) at the end of
 * a read would send the prompt half pasted. This decoder sits between the terminal and Ink: it
 * removes the markers and rewrites what was pasted into text the editor only ever inserts:
 * line breaks as LF (Ctrl+J, a newline; only a CR submits), no escape or other control bytes
 * (a pasted arrow-key sequence must not move the cursor). What is typed outside a paste passes
 * through unchanged, so the Enter pressed after a paste sends it.
 *
 * A marker can be split across two reads; the start of one at the end of a read is held back
 * until the next read (or flush(), which the input stream calls after a short pause, so a lone
 * Esc key is not held).
 */

export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';
export const ENABLE_BRACKETED_PASTE = '\x1b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\x1b[?2004l';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const PASTED_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export class PasteDecoder {
  private inPaste = false;
  private held = '';

  /** The text to hand on for one read from the terminal. */
  push(chunk: string): string {
    let text = this.held + chunk;
    this.held = '';
    let out = '';
    while (text !== '') {
      const marker = this.inPaste ? PASTE_END : PASTE_START;
      const at = text.indexOf(marker);
      const body = at === -1 ? text.slice(0, text.length - partialMarker(text, marker)) : text.slice(0, at);
      out += this.inPaste ? pasted(body) : body;
      if (at === -1) {
        this.held = text.slice(body.length);
        break;
      }
      this.inPaste = !this.inPaste;
      text = text.slice(at + marker.length);
    }
    return out;
  }

  /** Whether a marker's start is being held back. */
  get holding(): boolean {
    return this.held !== '';
  }

  /** Give up waiting for the rest of a marker: what was held, as it would have been passed on. */
  flush(): string {
    const held = this.held;
    this.held = '';
    return this.inPaste ? pasted(held) : held;
  }
}

/** How many characters at the end of `text` are a proper start of `marker`. */
function partialMarker(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--)
    if (text.endsWith(marker.slice(0, length))) return length;
  return 0;
}

function pasted(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(PASTED_CONTROL, '');
}
