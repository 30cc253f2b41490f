/**
 * The one bound on how deep a JSON text from outside may nest, for every door that parses one:
 * HTTP bodies (http/json-body.ts), WebSocket frames (ws/connection.ts) and the deployment bus's
 * messages (cluster/messages.ts). JSON.parse takes any depth, but a deep text costs far more
 * than a flat one of the same size (1 MiB of `[`, 500,000 levels, took 130 ms of the event loop
 * and 30 MB, against 10-30 ms for a flat MiB), and code that later walks the value recursively
 * (JSON.stringify, a schema check, an SDK) runs out of stack. One linear pass before the parse.
 */

/**
 * Far deeper than any request needs (a JSON Schema in `response_format` nests a few dozen
 * levels), far below what a recursive walk of the value can take (thousands).
 */
export const MAX_JSON_DEPTH = 256;

/** One line naming the bound, for `what` ("the request body", "the frame") and its fix. */
export function tooDeepMessage(what: string, flatter: string): string {
  return `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; send a flatter ${flatter}`;
}

/**
 * Whether `text` opens more than MAX_JSON_DEPTH arrays and objects at once, brackets inside
 * strings not counted. Linear, with no recursion: a malformed text is left to the parser to refuse.
 */
export function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
