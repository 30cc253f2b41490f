/**
 * A small structured-output schema whose check is exponential in the answer's depth: each level
 * an `anyOf` of two branches that both check the next level, the first then failing, so 2^depth
 * checks with little memory (the failed branch's errors are dropped when the second passes). It
 * is recursive, so no size bound stops it: only the checker's time limit does.
 */
export const RECURSIVE_SCHEMA = {
  $defs: {
    n: {
      anyOf: [
        { type: 'array', items: { $ref: '#/$defs/n' }, minItems: 2 },
        { type: 'array', items: { $ref: '#/$defs/n' } },
      ],
    },
  },
  $ref: '#/$defs/n',
};

/** An answer for it: arrays nested `depth` deep (40 is far past any time limit). */
export const nestedArrays = (depth: number): unknown => (depth === 0 ? [] : [nestedArrays(depth - 1)]);
