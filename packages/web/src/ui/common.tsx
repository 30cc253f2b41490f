/** Pieces every page uses: loading a resource, page headers, errors, empty states, tables. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api.js';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `loader()` now and whenever `deps` change; reload() loads again, keeping the old data meanwhile. */
export function useResource<T>(loader: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    generation.current += 1;
    const mine = generation.current;
    setLoading(true);
    loader().then(
      (value) => {
        if (generation.current !== mine) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (problem: unknown) => {
        if (generation.current !== mine) return;
        setError(problem);
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1 id="page-title" tabIndex={-1}>
        {props.title}
      </h1>
      {props.children ? <div class="page-actions">{props.children}</div> : null}
    </header>
  );
}

export function ErrorBox(props: { error: unknown; what?: string }) {
  if (props.error === undefined || props.error === null) return null;
  return (
    <div class="error-box" role="alert">
      {props.what ? `${props.what}: ` : ''}
      {errorText(props.error)}
    </div>
  );
}

/** Loading, an error, or the content once data is there. */
export function Loaded<T>(props: {
  resource: Resource<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  const { data, error, loading } = props.resource;
  return (
    <>
      <ErrorBox error={error} what={`Could not load ${props.what}`} />
      {data === undefined ? (
        loading ? (
          <p class="muted" aria-live="polite">
            Loading {props.what}…
          </p>
        ) : null
      ) : (
        props.children(data)
      )}
    </>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** A status word as a coloured badge (the word itself carries the meaning, not the colour). */
export function Badge(props: { value: string; tone?: 'ok' | 'warn' | 'bad' | 'neutral' }) {
  const tone = props.tone ?? toneOf(props.value);
  return <span class={`badge badge-${tone}`}>{props.value}</span>;
}

function toneOf(value: string): 'ok' | 'warn' | 'bad' | 'neutral' {
  if (/^(ok|ready|running|completed|active|enabled|allowed|approved|connected|added|healthy)$/i.test(value))
    return 'ok';
  if (/^(failed|killed|error|denied|rejected|broken|deleted|disabled|refused|closed)$/i.test(value))
    return 'bad';
  if (
    /^(pending|waiting|queued|paused|idle|cancelled|reconnecting|modified|interrupted|expired)$/i.test(value)
  )
    return 'warn';
  return 'neutral';
}

/** Runs an action, shows "working" meanwhile and the error if it fails. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (problem) {
      setError(problem);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
