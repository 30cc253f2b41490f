/**
 * VitePress compiles each page to a Vue template, so `{{agentName}}` in inline code or text
 * would be evaluated (and shown empty) instead of printed. Code blocks are already left alone
 * (VitePress marks them v-pre); this does the same for inline code and escapes `{{` in text.
 */
import type { MarkdownRenderer } from 'vitepress';

export function literalBraces(md: MarkdownRenderer): void {
  const { code_inline: code, text } = md.renderer.rules;
  if (!code || !text) throw new Error('markdown-it has no code_inline or text rule to wrap');
  md.renderer.rules.code_inline = (tokens, idx, options, env, self) => {
    tokens[idx]?.attrSet('v-pre', '');
    return code(tokens, idx, options, env, self);
  };
  md.renderer.rules.text = (tokens, idx, options, env, self) =>
    text(tokens, idx, options, env, self).replaceAll('{{', '&#123;&#123;');
}
