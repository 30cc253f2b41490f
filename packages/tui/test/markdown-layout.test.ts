/** The Markdown layout: each construct, widths (CJK, emoji), hostile text, pathological sizes. */
import { describe, expect, it } from 'vitest';
import { layoutMarkdown, MAX_MARKDOWN_CHARS } from '../src/markdown/layout.js';
import { type Line, lineWidth, type Style } from '../src/markdown/lines.js';
import { terminalSafe } from '../src/markdown/sanitize.js';

const text = (line: Line) => line.map((span) => span.text).join('');
const rows = (markdown: string, width = 60) => layoutMarkdown(markdown, width).map(text);
/** The style of the span holding `needle` in the layout. */
function styleOf(markdown: string, needle: string, width = 60): Style | undefined {
  for (const line of layoutMarkdown(markdown, width))
    for (const span of line) if (span.text.includes(needle)) return span.style;
  return undefined;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const ANY_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe('markdown layout: constructs', () => {
  it('draws headings bold (level 1 also underlined) without their #', () => {
    expect(rows('# Top\n\n### Third')).toEqual(['Top', '', 'Third']);
    expect(styleOf('# Top', 'Top')).toEqual({ bold: true, underline: true });
    expect(styleOf('### Third', 'Third')).toEqual({ bold: true });
  });

  it('styles bold, italic, strikethrough and code spans and drops their marks', () => {
    const md = 'a **strong** b *soft* c ~~gone~~ d `x = 1`';
    expect(rows(md)).toEqual(['a strong b soft c gone d x = 1']);
    expect(styleOf(md, 'strong')).toMatchObject({ bold: true });
    expect(styleOf(md, 'soft')).toMatchObject({ italic: true });
    expect(styleOf(md, 'gone')).toMatchObject({ strikethrough: true });
    expect(styleOf(md, 'x = 1')).toMatchObject({ color: 'green' });
    expect(styleOf('**bold and *both***', 'both')).toMatchObject({ bold: true, italic: true });
  });

  it('keeps single line breaks and puts one blank row between paragraphs', () => {
    expect(rows('one\ntwo\n\n\n\nthree')).toEqual(['one', 'two', '', 'three']);
  });

  it('word-wraps paragraphs to the width', () => {
    const lines = rows('the quick brown fox jumps over the lazy dog', 15);
    expect(lines).toEqual(['the quick brown', 'fox jumps over', 'the lazy dog']);
  });

  it('shows links as text (url), bare and <> links once, and unsafe targets as written', () => {
    expect(rows('see [the docs](https://example.com/a%20b) now')).toEqual([
      'see the docs (https://example.com/a b) now',
    ]);
    expect(styleOf('[docs](https://e.com)', 'docs')).toMatchObject({ underline: true, color: 'blue' });
    expect(rows('go to https://example.com or <https://example.org>')).toEqual([
      'go to https://example.com or https://example.org',
    ]);
    expect(rows('[same](https://same.example)')).toEqual(['same (https://same.example)']);
    expect(rows('[click](javascript:alert(1))')).toEqual(['[click](javascript:alert(1))']);
    expect(rows('![a cat](https://e.com/cat.png)')).toEqual(['[image: a cat] (https://e.com/cat.png)']);
  });

  it('draws bullet lists with hanging indents, nested bullets and tight/loose spacing', () => {
    const md = '- one\n- two is long enough to wrap here\n  - nested\n- three';
    expect(rows(md, 20)).toEqual([
      '• one',
      '• two is long enough',
      '  to wrap here',
      '  ◦ nested',
      '• three',
    ]);
    expect(rows('- a\n\n- b')).toEqual(['• a', '', '• b']);
  });

  it('numbers ordered lists from their start, aligning the text after 9.', () => {
    expect(rows('3. c\n4. d')).toEqual(['3. c', '4. d']);
    const ten = Array.from({ length: 10 }, (_, i) => `${i + 1}. item ${i + 1}`).join('\n');
    const lines = rows(ten);
    expect(lines[0]).toBe('1.  item 1');
    expect(lines[9]).toBe('10. item 10');
    expect(rows('1) a\n2) wrapped text goes on here', 20)).toEqual([
      '1) a',
      '2) wrapped text goes',
      '   on here',
    ]);
  });

  it('sets block quotes behind a bar, nested ones behind two', () => {
    expect(rows('> said\n> > before')).toEqual(['│ said', '│ ', '│ │ before']);
  });

  it('frames code blocks, keeps their indentation and cuts long lines instead of wrapping words', () => {
    const md = '```python\ndef f():\n\treturn 1\n\n# 0123456789 0123456789\n```';
    expect(rows(md, 20)).toEqual([
      '  ┌─ python',
      '  │ def f():',
      '  │     return 1',
      '  │ ',
      '  │ # 0123456789 012',
      '  │ 3456789',
      '  └─',
    ]);
    expect(rows('    indented code')).toEqual(['  ┌─', '  │ indented code', '  └─']);
    expect(styleOf('```\nx **not bold**\n```', 'not bold')).toEqual({ color: 'green' });
  });

  it('draws a rule across the width', () => {
    expect(rows('a\n\n---\n\nb', 10)).toEqual(['a', '', '──────────', '', 'b']);
  });

  it('aligns tables that fit, honouring column alignment', () => {
    const md = '| Name | Qty | Note |\n|:--|--:|:-:|\n| apple | 3 | ok |\n| kiwi | 12 | - |';
    expect(rows(md)).toEqual([
      'Name  │ Qty │ Note',
      '──────┼─────┼─────',
      'apple │   3 │  ok',
      'kiwi  │  12 │  -',
    ]);
    expect(styleOf(md, 'Name')).toMatchObject({ bold: true });
  });

  it('falls back to one wrapped row per table row when the table is wider than the screen', () => {
    const md = '| a | b |\n|---|---|\n| a long cell of text | another long cell |';
    expect(rows(md, 20)).toEqual(['a │ b', 'a long cell of text', '│ another long cell']);
  });

  it('measures CJK and emoji as two columns when aligning and wrapping', () => {
    const md = '| 名前 | x |\n|---|---|\n| りんご | 🍎 |\n| a | b |';
    const lines = layoutMarkdown(md, 40);
    expect(lines.map(text)).toEqual(['名前   │ x', '───────┼───', 'りんご │ 🍎', 'a      │ b']);
    // The bar sits in the same column on every row, whatever the characters' widths.
    const barColumns = [0, 2, 3].map((i) => lineWidth([{ text: text(lines[i]!).split('│')[0]!, style: {} }]));
    expect(new Set(barColumns)).toEqual(new Set([7]));
    for (const line of layoutMarkdown('漢字漢字漢字 漢字漢字漢字 🎉🎉🎉🎉🎉', 8))
      expect(lineWidth(line)).toBeLessThanOrEqual(8);
    expect(rows('漢字漢字漢字漢字漢字', 7)).toEqual(['漢字漢', '字漢字', '漢字漢', '字']);
  });

  it('shows raw HTML as text', () => {
    expect(rows('<b>hi</b> <script>alert(1)</script>')).toEqual(['<b>hi</b> <script>alert(1)</script>']);
    expect(rows('<div>\nblock\n</div>')).toEqual(['<div>', 'block', '</div>']);
  });
});

describe('markdown layout: hostile text', () => {
  const hostile = [
    'colour \x1b[31mred\x1b[0m and \x1b[2J\x1b[H clear',
    'a \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 b',
    'title \x1b]0;pwned\x1b\\ set; clip \x1b]52;c;ZXZpbA==\x07 written',
    'c1 \x9b31m csi \x9d0;t\x9c osc \x90dcs\x9c bell \x07 bs \b del \x7f',
    'bidi \u202eevil\u202c \u2066iso\u2069',
    '`code \x1b[31m` and ```\n\x1b[1mfence\n```',
    '[x](https://e.com/%1B%5B31m) ![y](https://e.com/%07)',
    'entities &#27;[31m &#x9b; &#7;',
  ];

  it('leaves no escape, control or bidi override character in any row', () => {
    for (const md of hostile) {
      for (const line of layoutMarkdown(md, 50))
        for (const span of line) expect(span.text, JSON.stringify(md)).not.toMatch(ANY_CONTROL);
    }
  });

  it('removes whole sequences, not just their ESC, and keeps the text around them', () => {
    expect(terminalSafe('colour \x1b[31mred\x1b[0m!')).toBe('colour red!');
    expect(terminalSafe('a \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 b')).toBe('a link b');
    expect(terminalSafe('t \x1b]0;pwned\x1b\\ x')).toBe('t  x');
    expect(terminalSafe('c1 \x9b31m csi \x9d0;t\x9c osc')).toBe('c1  csi  osc');
    expect(terminalSafe('line\r\nnext\rthird')).toBe('line\nnext\nthird');
    expect(terminalSafe('a\tb')).toBe('a   b');
  });
});

describe('markdown layout: pathological input stays bounded', () => {
  // No timing assertions: a quadratic or hanging layout shows up as the test's timeout.
  it('lays out a 100,000-character line, with and without spaces, in rows of the width', () => {
    const word = 'x'.repeat(100_000);
    const lines = layoutMarkdown(word, 80);
    expect(lines).toHaveLength(1250);
    expect(lines.every((line) => lineWidth(line) === 80)).toBe(true);
    const words = layoutMarkdown('ab '.repeat(33_000), 80);
    expect(words.every((line) => lineWidth(line) <= 80)).toBe(true);
    const cjk = layoutMarkdown('字'.repeat(50_000), 81);
    expect(cjk.every((line) => lineWidth(line) <= 81)).toBe(true);
    expect(cjk).toHaveLength(1250);
  });

  it('caps the indentation of deep nesting and does not drop shallow text', () => {
    const quotes = `${'> '.repeat(5_000)}deep`;
    for (const line of layoutMarkdown(`start\n\n${quotes}`, 60))
      expect(lineWidth(line)).toBeLessThanOrEqual(60);
    const lists = Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');
    const lines = layoutMarkdown(lists, 60);
    expect(text(lines[0]!)).toBe('• level 0');
    for (const line of lines) expect(lineWidth(line)).toBeLessThanOrEqual(60);
  });

  it('handles thousands of list items, table rows and columns, and emphasis runs', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `- item ${i}`).join('\n');
    expect(layoutMarkdown(items, 60)).toHaveLength(20_000);
    const table = `| a | b |\n|---|---|\n${'| x | y |\n'.repeat(20_000)}`;
    expect(layoutMarkdown(table, 60)).toHaveLength(20_002);
    const wide = `|${' c |'.repeat(3_000)}\n|${'---|'.repeat(3_000)}\n`;
    expect(layoutMarkdown(wide, 60).length).toBeGreaterThan(0);
    for (const md of [
      '*'.repeat(100_000),
      '**a'.repeat(30_000),
      '['.repeat(100_000),
      '`'.repeat(50_000),
      '_a'.repeat(50_000),
    ])
      expect(layoutMarkdown(md, 80).length).toBeGreaterThan(0);
  });

  it('shows text beyond the Markdown size limit as plain wrapped text', () => {
    const huge = `**not parsed** ${'y'.repeat(MAX_MARKDOWN_CHARS)}`;
    const [first] = layoutMarkdown(huge, 80);
    expect(text(first!).startsWith('**not parsed** yyy')).toBe(true);
  });
});
