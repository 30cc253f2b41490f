import { Cancelled } from '@oxydra/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHtmlParser, scanHtmlAsync } from '../src/web/html-scan.js';
import {
  htmlToPage,
  htmlToPageAsync,
  htmlToText,
  MAX_HTML_CHARS,
  MAX_TEXT_CHARS,
  plainText,
} from '../src/web/html-to-text.js';
import { parseDuckDuckGo } from '../src/web/search-results.js';

// Each hostile page below took the old regex converter from tens of seconds to hours, holding the
// event loop all along. A test that hangs fails by its timeout (the conversion itself is one
// synchronous call, so the failure shows once it returns); the assertions check the output.
const HOSTILE_TIMEOUT = 10_000;

// The synchronous converters need the parser loaded (the web tools load it before using them).
beforeAll(loadHtmlParser);

describe('htmlToText on ordinary pages', () => {
  it('renders headings, emphasis, code, tables, images, links and lists', () => {
    const html = `<html><head><title>T</title></head><body><h2>Hi &amp; bye</h2>
      <p>Some <em>text</em> and <code>x&lt;y</code>.<br>Next line</p>
      <table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table><hr>
      <p>img <img src=x alt="pic"> <a href="#top">top</a> <a href="/rel">rel <i>it</i></a></p>
      <ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><ol><li>one<li>two</ol></body></html>`;
    expect(htmlToText(html, 'https://base.example/dir/page')).toBe(
      [
        '## Hi & bye',
        '',
        'Some _text_ and `x<y`.',
        'Next line',
        '',
        'a | b',
        '',
        '1 | 2',
        '',
        '---',
        '',
        'img [image: pic] top [rel _it_](https://base.example/rel)',
        '',
        '- a',
        '',
        '  - b',
        '- c',
        '',
        '1. one',
        '2. two',
      ].join('\n'),
    );
  });

  it('drops scripts, styles, comments, navigation and forms, keeps <pre> as is', () => {
    const html = `<p>a<!-- c -->b<script>var x = "<p>";</script>c</p><nav>menu</nav>
      <select><option>o</option></select>d<pre>  keep   spaces
   and <b>tags</b>
</pre><p>after&nbsp;all &#x41;&#66;&copy;&unknown;</p>`;
    expect(htmlToText(html)).toBe(
      ['abc', '', 'd', '', '```', '  keep   spaces', '   and tags', '```', '', 'after all AB©&unknown;'].join(
        '\n',
      ),
    );
  });

  it('reads the first title, and a link a new link ends', () => {
    expect(htmlToPage('<title> One &amp; two </title><title>Other</title><p>x</p>')).toEqual({
      title: 'One & two',
      text: 'x',
    });
    expect(htmlToText('<a href="/1">one<a href="/2">two</a></a>', 'https://e.example/')).toBe(
      '[one](https://e.example/1)[two](https://e.example/2)',
    );
  });
});

describe('htmlToText on hostile pages', () => {
  it(
    'a long run of spaces in <pre> followed by many blocks',
    () => {
      const html = `<pre>${' '.repeat(20_000)}x</pre>${'<p>'.repeat(5_000)}`;
      expect(htmlToText(html)).toBe(`\`\`\`\n${' '.repeat(20_000)}x\n\`\`\``);
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'deep nesting with unmatched closing tags',
    () => {
      const html = `${'<div>'.repeat(200_000)}x${'</span>'.repeat(200_000)}`;
      expect(htmlToText(html)).toBe('x');
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'tens of thousands of unclosed links, table cells and text runs',
    () => {
      expect(htmlToText('<a href="/n">y'.repeat(50_000), 'https://e.example/')).toBe(
        '[y](https://e.example/n)'.repeat(50_000),
      );
      expect(htmlToText('<tr><td>a<td>b'.repeat(50_000))).toBe(Array(50_000).fill('a | b').join('\n'));
      expect(htmlToText('a <b>b</b> '.repeat(100_000))).toBe('a **b** '.repeat(100_000).trim());
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'unterminated comments, scripts, tags, attributes and entities',
    () => {
      expect(htmlToText('<!--'.repeat(200_000))).toBe('');
      expect(htmlToText('<script>'.repeat(100_000))).toBe('');
      expect(htmlToText('<a x'.repeat(200_000))).toBe('');
      expect(htmlToText(`<a href="${'x'.repeat(500_000)}`)).toBe('');
      expect(htmlToText('&amp;'.repeat(100_000))).toBe('&'.repeat(100_000));
      expect(htmlToText(`&${'a'.repeat(500_000)}`)).toBe(`&${'a'.repeat(500_000)}`);
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'reads at most MAX_HTML_CHARS of a page',
    () => {
      const text = htmlToText(`${'a'.repeat(MAX_HTML_CHARS)}<p>past the cap</p>`);
      expect(text).toHaveLength(MAX_HTML_CHARS);
      expect(text).not.toContain('past the cap');
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'text that outgrows its HTML (list indents, links repeating a long page URL) stops at MAX_TEXT_CHARS',
    async () => {
      // Each <li> is indented by its depth: 40 KB of HTML asked for 25 million characters (5 MiB
      // of it, the download cap, for 800 billion: the process ran out of memory).
      const lists = await htmlToPageAsync('<ul><li>'.repeat(5_000), 'https://e.example/');
      expect(lists.text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      expect(lists.cut).toBe(true);
      expect(lists.text.split('\n').filter(Boolean).slice(0, 3)).toEqual(['-', '  -', '    -']);
      // Each 9-byte link repeats the page's 8 KB URL (a redirect's Location can be that long).
      const base = `https://e.example/${'p'.repeat(8000)}`;
      const links = await htmlToPageAsync('<a href=?>x'.repeat(2_000), base);
      expect(links.text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      expect(links.text.startsWith(`[x](${base}?)`)).toBe(true);
      // A page within the cap is not marked cut.
      expect(htmlToPage('<ul><li>a</li></ul>').cut).toBeUndefined();
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'an unclosed <title> of a megabyte yields a bounded title',
    () => {
      const page = htmlToPage(`<title>${'t '.repeat(500_000)}`);
      expect(page.title?.length).toBeLessThanOrEqual(1_000);
      expect(page.text).toBe('');
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'plainText and the DuckDuckGo parser on unclosed markup',
    () => {
      expect(plainText('<'.repeat(200_000))).toBe('<'.repeat(200_000));
      expect(plainText(`<b>${'x<i>'.repeat(100_000)}`)).toBe('x'.repeat(100_000));
      const results = parseDuckDuckGo('<a class="result__a" href="https://r.example/">t'.repeat(30_000));
      expect(results).toHaveLength(30_000);
      expect(results[0]).toEqual({ title: 't', url: 'https://r.example/', snippet: '' });
    },
    HOSTILE_TIMEOUT,
  );
});

describe('htmlToPageAsync', () => {
  it('yields to the event loop while converting a large page', async () => {
    const html = '<p>paragraph with <b>bold</b> text</p>'.repeat(30_000);
    let done = false;
    let ranDuring = false;
    setImmediate(() => {
      ranDuring = !done;
    });
    const page = await htmlToPageAsync(html, undefined);
    done = true;
    expect(ranDuring).toBe(true);
    expect(page.text).toBe(htmlToText(html));
  });

  it('reads tags and entities cut by a slice boundary whole', async () => {
    const html = '<a href="https://e.example/a&amp;b">x&eacute;y</a> <b>z</b>';
    for (const at of [3, 12, 30, 35, 45]) {
      const seen: string[] = [];
      await scanHtmlAsync(
        html,
        {
          open: (name, attrs) => seen.push(`<${name}${attrs.has('href') ? ` ${attrs.get('href')}` : ''}>`),
          close: (name) => seen.push(`</${name}>`),
          text: (text) => seen.push(text),
        },
        { wantedAttributes: new Set(['href']), sliceChars: at },
      );
      expect(seen.join('')).toBe('<a https://e.example/a&b>xéy</a> <b>z</b>');
    }
  });

  it('stops with Cancelled when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = htmlToPageAsync('<p>x</p>'.repeat(100_000), undefined, controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(Cancelled);
  });
});
