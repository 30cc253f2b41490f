/**
 * The regular expressions of MCP schemas (`pattern`, `patternProperties`, `propertyNames`) run
 * on RE2 (re2js), whose matching time is linear in the input, never on V8's backtracking
 * engine: a server's `^(a+)+$` against a model's "aaaa…!" would otherwise freeze the process
 * (the whole gateway) for hours, deaf to SIGTERM. Ajv takes this as its `code.regExp`.
 *
 * What RE2 cannot express (backreferences, lookarounds), and programs so large that even a
 * linear match of a long string would stall the process, are not run here at all: that keyword
 * passes the argument unchecked (the server validates anyway), never falling back to RegExp.
 */
import { RE2JS } from 're2js';

/**
 * The largest compiled pattern run here, in RE2 instructions. Matching costs up to input
 * length × instructions; real schema patterns (an e-mail, a date, a UUID) compile to under 50,
 * and at 256 the worst case against a 64 KiB argument stays near a tenth of a second.
 */
export const MAX_PATTERN_INSTRUCTIONS = 256;

/** What Ajv calls on a pattern: `test`, and `toString` as its cache key. */
export interface RegExpLike {
  test(input: string): boolean;
  toString(): string;
}

/** Ajv's `code.regExp`: `flags` is "u" or "" (RE2 always matches code points, as "u" does). */
export function linearRegExp(pattern: string, flags: string): RegExpLike {
  const key = `/${pattern}/${flags}`;
  let compiled: RE2JS | undefined;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    const program = (compiled.re2() as unknown as { prog?: { inst?: unknown[] } }).prog?.inst?.length;
    if (program === undefined || program > MAX_PATTERN_INSTRUCTIONS) compiled = undefined;
  } catch {
    // Not RE2 syntax (a backreference, a lookaround), or too deep to parse: not checked here.
    compiled = undefined;
  }
  const engine = compiled;
  return {
    test: engine ? (input) => engine.test(input) : () => true,
    toString: () => key,
  };
}
