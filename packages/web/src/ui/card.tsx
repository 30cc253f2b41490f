/**
 * The layout the status pages share (Channels, Health): a page that loads one resource and loads
 * it again every 10 s or on Refresh, showing cards, each a named region with a heading and its
 * facts (a <dl class="facts"> of term and value).
 */
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { Loaded, PageHeader, useResource } from './common.js';

const REFRESH_MS = 10_000;

/** A page of one resource, refreshed every 10 s and by its Refresh button. */
export function RefreshingPage<T>(props: {
  title: string;
  /** What is loaded, for "Loading …" and "Could not load …". */
  what: string;
  load: () => Promise<T>;
  children: (data: T) => ComponentChildren;
}) {
  const resource = useResource(props.load, []);
  const reload = resource.reload;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={props.title}>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </PageHeader>
      <Loaded resource={resource} what={props.what}>
        {props.children}
      </Loaded>
    </section>
  );
}

/** A card named by its heading (`id` ties the two: unique on the page). */
export function Card(props: { id: string; title: ComponentChildren; children: ComponentChildren }) {
  return (
    <article class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </article>
  );
}

/** Facts of a card: `Fact`s. */
export function Facts(props: { children: ComponentChildren }) {
  return <dl class="facts">{props.children}</dl>;
}

/** One fact: its term and its value (`wrap`: a long value wraps). */
export function Fact(props: { term: string; wrap?: boolean; children: ComponentChildren }) {
  return (
    <>
      <dt>{props.term}</dt>
      <dd class={props.wrap ? 'wrap' : undefined}>{props.children}</dd>
    </>
  );
}
