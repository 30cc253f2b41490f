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

/** The pattern compiled by RE2, or undefined when RE2 cannot run it here (see above). */
function compileLinear(pattern: string): RE2JS | undefined {
  try {
    const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
    const program = (compiled.re2() as unknown as { prog?: { inst?: unknown[] } }).prog?.inst?.length;
    return program === undefined || program > MAX_PATTERN_INSTRUCTIONS ? undefined : compiled;
  } catch {
    // Not RE2 syntax (a backreference, a lookaround), or too deep to parse.
    return undefined;
  }
}

/** Ajv's `code.regExp`: `flags` is "u" or "" (RE2 always matches code points, as "u" does). */
export function linearRegExp(pattern: string, flags: string): RegExpLike {
  const engine = compileLinear(pattern);
  return {
    test: engine ? (input) => engine.test(input) : () => true,
    toString: () => `/${pattern}/${flags}`,
  };
}

/**
 * linearRegExp for a check that must fail closed (a spec run's `json-schema:` criterion, where
 * an unchecked pattern would pass work that was never checked): a pattern RE2 cannot run here
 * throws, so the schema does not compile and the check fails with the reason.
 */
export function strictLinearRegExp(pattern: string, flags: string): RegExpLike {
  const engine = compileLinear(pattern);
  if (!engine) {
    const shown = pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern;
    throw new Error(
      `pattern "${shown}" is not checked: only patterns RE2 runs in linear time are ` +
        `(no backreferences or lookarounds, at most ${MAX_PATTERN_INSTRUCTIONS} instructions)`,
    );
  }
  return { test: (input) => engine.test(input), toString: () => `/${pattern}/${flags}` };
}
