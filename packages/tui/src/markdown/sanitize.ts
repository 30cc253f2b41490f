/**
 * Model (and tool) text made inert for a terminal before anything draws it. Ink itself keeps
 * SGR colours and OSC strings (hyperlinks, window titles, clipboard writes) in the text it
 * prints; a model must not be able to recolour the screen, fake a link's target, set the title
 * or write the clipboard. So whole escape sequences (CSI, OSC, DCS, SOS, PM, APC) are removed,
 * then every remaining C0/C1 control but newline, and the bidi overrides that can reorder what a
 * line appears to say. Tabs become spaces (to the next multiple of 4, as Markdown counts them):
 * a terminal would jump to its own tab stops, which no width calculation can see.
 *
 * Every pattern here is bounded or a plain character class, so the cost is linear in the text.
 */

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: matching them is the point
/** A complete CSI sequence (ESC [ or the C1 byte), bounded so a hostile run stays linear. */
const CSI = /(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,8}[@-~]/g;
/** A string command (OSC ESC ], DCS ESC P, SOS ESC X, PM ESC ^, APC ESC _, or their C1 bytes) with its terminator. */
const STRING_COMMAND = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)/g;
/** Two-byte escapes (ESC 7, ESC c, ESC ( B...). */
const SHORT_ESCAPE = /\x1b[ -/]{0,4}[0-~]/g;
/** What is left: C0 but tab and newline, DEL, C1, and the bidi embedding/override/isolate controls. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const HAS_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: matching them is the point

const TAB_STOP = 4;

/** `text` with no terminal control left in it: see the module comment. Keeps newlines. */
export function terminalSafe(text: string): string {
  let safe = text.replace(/\r\n?|[\u2028\u2029]/g, '\n');
  if (HAS_CONTROL.test(safe))
    safe = safe.replace(STRING_COMMAND, '').replace(CSI, '').replace(SHORT_ESCAPE, '').replace(CONTROL, '');
  return safe.includes('\t') ? expandTabs(safe) : safe;
}

/** True when `text` needs terminalSafe (a cheap check for text that was made safe already). */
export function hasControls(text: string): boolean {
  return HAS_CONTROL.test(text) || text.includes('\t') || text.includes('\r');
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
