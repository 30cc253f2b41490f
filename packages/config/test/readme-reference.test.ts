import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown, REFERENCE_END, REFERENCE_START } from '../src/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README configuration reference', () => {
  it('matches the zod schemas exactly (run `npm run docs:config` after changing a schema)', () => {
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start, 'README is missing the config-reference block').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + REFERENCE_END.length)).toBe(configReferenceMarkdown());
  });

  it('documents keys, types and defaults the loader really uses', () => {
    const reference = configReferenceMarkdown();
    expect(reference).toContain('| `runtime.max_turns` | integer | `100` | model calls per run |');
    expect(reference).toContain('| `providers.registry.<name>.api_key_env` | string | unset |');
    expect(reference).toContain('| `tools.approval` | "auto" \\| "ask" \\| "deny" | `"ask"` |');
    expect(reference).toContain('| `selection.fallbacks` | list of { provider, model } | `[]` |');
  });
});
