/**
 * What a `persona` setting names, read as node:path's extname would: the persona store and the
 * taint policy (which guards character files as instructions) both ask characterFormat.
 */
import { extname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { characterFormat } from '../src/config/persona-ref.js';

describe('characterFormat', () => {
  const cases: [string, 'json' | 'toml' | undefined][] = [
    ['pirate.json', 'json'],
    ['personas/Pirate.TOML', 'toml'],
    ['./a.b/pirate.toml', 'toml'],
    ['pirate', undefined],
    ['pirate.yaml', undefined],
    ['a.json/pirate', undefined],
    ['.json', undefined],
    ['dir/.toml', undefined],
  ];
  it.each(cases)('%s -> %s, as extname reads it', (path, format) => {
    expect(characterFormat(path)).toBe(format);
    const ext = extname(path).toLowerCase();
    expect(ext === '.json' ? 'json' : ext === '.toml' ? 'toml' : undefined).toBe(format);
  });
});
