/**
 * Model text rendered as Markdown. The renderer (markdown-it, most of the dashboard's code) is
 * its own chunk, loaded when the first answer or transcript is shown, so the sign-in page and
 * the other pages do not download it; until it arrives the text shows as plain text. How the
 * text is made safe: markdown-render.ts.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';

type Render = (text: string) => string;
let loading: Promise<Render> | undefined;
let loaded: Render | undefined;

function loadRenderer(): Promise<Render> {
  loading ??= import('./markdown-render.js').then((module) => {
    loaded = module.renderMarkdown;
    return loaded;
  });
  return loading;
}

export function Markdown(props: { text: string }) {
  const [render, setRender] = useState<Render | undefined>(() => loaded);
  useEffect(() => {
    if (!render) void loadRenderer().then((fn) => setRender(() => fn));
  }, [render]);
  const html = useMemo(() => render?.(props.text), [render, props.text]);
  if (html === undefined) return <div class="markdown plain">{props.text}</div>;
  // markdown-it's output with raw HTML disabled: the text's own HTML arrives escaped.
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
