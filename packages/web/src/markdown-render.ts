/**
 * Model text as Markdown, safely (the renderer behind markdown.tsx): markdown-it with raw HTML off, so whatever HTML a model writes
 * (a <script>, an <img onerror>) is escaped and shows as text. Links open in a new tab with
 * rel="noopener noreferrer" and only for http(s) and mailto; any other link (javascript:, data:,
 * a relative path into the dashboard) stays as its literal text. Images become links (the page's
 * policy loads no image from elsewhere), and table alignment uses classes, not style attributes
 * (the policy allows no inline style).
 */
import MarkdownIt from 'markdown-it';

const SAFE_LINK = /^(?:https?:\/\/|mailto:)/i;
const LINK_REL = 'noopener noreferrer';

function markdownRenderer(): MarkdownIt {
  const md = new MarkdownIt('default', {
    html: false,
    linkify: true,
    typographer: false,
    // A chat answer's single line breaks are meant as line breaks.
    breaks: true,
  });
  md.validateLink = (url) => SAFE_LINK.test(url.trim());

  const renderToken: NonNullable<typeof md.renderer.rules.link_open> = (tokens, idx, options, _env, self) =>
    self.renderToken(tokens, idx, options);
  const linkOpen = md.renderer.rules.link_open ?? renderToken;
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    token.attrSet('rel', LINK_REL);
    token.attrSet('target', '_blank');
    return linkOpen(tokens, idx, options, env, self);
  };

  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const src = token.attrGet('src') ?? '';
    const alt = self.renderInlineAsText(token.children ?? [], options, env).trim();
    const escapeHtml = md.utils.escapeHtml;
    return `<a href="${escapeHtml(src)}" rel="${LINK_REL}" target="_blank" class="md-image">${escapeHtml(`image: ${alt || src}`)}</a>`;
  };

  md.core.ruler.push('alignment_classes', (state) => {
    for (const token of state.tokens) {
      const style = token.attrGet('style');
      if (style === null) continue;
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      const align = /^text-align:(left|right|center)$/.exec(style)?.[1];
      if (align) token.attrJoin('class', `align-${align}`);
    }
    return true;
  });
  return md;
}

let renderer: MarkdownIt | undefined;

/** The HTML of `text` as Markdown (escaped, links checked: see the module's comment). */
export function renderMarkdown(text: string): string {
  renderer ??= markdownRenderer();
  return renderer.render(text);
}
