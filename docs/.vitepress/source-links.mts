/**
 * Links from a docs page to a file outside docs/ (`../examples/...`, `../README.md#install`)
 * work on GitHub, where the repository is beside the page, but not on the built site, which
 * holds only the pages. On the site they point into the repository's source instead (`base`,
 * from site-env's sourceUrl). Without one, the link is dropped and its text kept, so the site
 * never carries a link that leads nowhere.
 */
import { posix } from 'node:path';
import type { MarkdownRenderer } from 'vitepress';

type Token = ReturnType<MarkdownRenderer['parse']>[number];

/** The repository path (and #fragment) a page's relative link names, when it leaves docs/; else undefined. */
export function outsideDocs(pagePath: string, href: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:|^\/|^#/i.test(href)) return undefined;
  const resolved = posix.normalize(posix.join('docs', posix.dirname(pagePath), href));
  return resolved.startsWith('docs/') || resolved === 'docs' ? undefined : resolved;
}

export function sourceLinks(md: MarkdownRenderer, base: string | undefined): void {
  md.core.ruler.push('oxydra_source_links', (state) => {
    const page = (state.env as { relativePath?: string }).relativePath ?? '';
    for (const block of state.tokens) {
      const children = block.children;
      if (block.type !== 'inline' || !children) continue;
      for (let i = 0; i < children.length; i++) {
        const open = children[i] as Token;
        if (open.type !== 'link_open') continue;
        const path = outsideDocs(page, open.attrGet('href') ?? '');
        if (path === undefined) continue;
        if (base !== undefined) {
          open.attrSet('href', `${base}/${path}`);
          continue;
        }
        // No source to point at: keep the text, drop the link (its close is the next one at this level).
        const close = children.findIndex(
          (t, j) => j > i && t.type === 'link_close' && t.level === open.level,
        );
        if (close < 0) continue;
        children.splice(close, 1);
        children.splice(i, 1);
        i--;
      }
    }
  });
}
