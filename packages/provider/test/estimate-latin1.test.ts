/**
 * The estimator's written-out classes of ASCII and Latin-1 (LATIN1_CLASSES, which spares a process
 * the Unicode property regexes' start-up cost) are exactly what its regex classifier makes.
 */
import { describe, expect, it } from 'vitest';
import { characterClass, LATIN1_CLASSES } from '../src/catalog/char-classes.js';

describe('LATIN1_CLASSES', () => {
  it('matches classify() for every code unit of block 0', () => {
    expect(LATIN1_CLASSES).toHaveLength(512);
    const mismatches: string[] = [];
    for (let code = 0; code < 256; code++) {
      const written = Number.parseInt(LATIN1_CLASSES.slice(code * 2, code * 2 + 2), 16);
      if (written !== characterClass(code))
        mismatches.push(`U+${code.toString(16)}: ${written} vs ${characterClass(code)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
