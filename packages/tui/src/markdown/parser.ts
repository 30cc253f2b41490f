/**
 * The Markdown parser of the terminal UI: markdown-it configured as the dashboard's
 * (packages/web/src/markdown-render.ts): raw HTML off (a model's <script> or <b> is text),
 * bare URLs recognised, a single line break kept as a line break (chat answers mean them).
 * Nesting deeper than markdown-it's default limit (100) is not parsed further.
 */
import MarkdownIt from 'markdown-it';

let parser: MarkdownIt | undefined;

export function markdownParser(): MarkdownIt {
  parser ??= new MarkdownIt('default', { html: false, linkify: true, breaks: true, typographer: false });
  return parser;
}
