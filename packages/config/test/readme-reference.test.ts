import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  configReferenceMarkdown,
  REFERENCE_END,
  REFERENCE_START,
  withConfigReference,
} from '../src/exports/admin.js';

// The reference moved from the README to the docs' configuration page; the file name stays.
const page = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

describe('configuration reference (docs/configuration.md)', () => {
  it('matches the zod schemas exactly (run `npm run docs:config` after changing a schema)', () => {
    const start = page.indexOf(REFERENCE_START);
    const end = page.indexOf(REFERENCE_END);
    expect(start, 'docs/configuration.md is missing the config-reference block').toBeGreaterThanOrEqual(0);
    expect(page.slice(start, end + REFERENCE_END.length)).toBe(configReferenceMarkdown());
  });

  it('documents keys, types and defaults the loader really uses', () => {
    const reference = configReferenceMarkdown();
    expect(reference).toContain('| `runtime.max_turns` | integer | `100` | model calls per run |');
    expect(reference).toContain('| `providers.registry.<name>.api_key_env` | string | unset |');
    expect(reference).toContain('| `tools.approval` | "auto" \\| "ask" \\| "deny" | `"ask"` |');
    expect(reference).toContain('| `selection.fallbacks` | list of { provider, model } | `[]` |');
  });

  it('sits under the page\'s "## Reference" with one "###" table per file', () => {
    const reference = configReferenceMarkdown();
    expect(page).toMatch(/\n## Reference\n[^#]*<!-- config-reference:start/);
    expect(reference.match(/^### .*$/gm)).toEqual([
      '### `agent.toml` and `providers.toml`',
      '### `runner.toml`',
      '### `users/<id>.toml`',
    ]);
  });

  it('shows placeholders in descriptions as text, never as HTML tags', () => {
    // <root> would be an HTML tag to a Markdown renderer: dropped on GitHub, an error on the site.
    expect(configReferenceMarkdown()).toContain('| where \\<root>/\\<user>/{shared,tmp,vault} are created |');
  });

  it('replaces only the block between the markers', () => {
    const before = `# Page\n\ntext\n\n${REFERENCE_START}\nstale\n${REFERENCE_END}\n\nafter\n`;
    expect(withConfigReference(before)).toBe(`# Page\n\ntext\n\n${configReferenceMarkdown()}\n\nafter\n`);
    expect(() => withConfigReference('# no markers\n')).toThrow('config-reference block markers');
  });
});
