/** A tiny observable value and the hook that re-renders a component when it changes. */
import { useEffect, useState } from 'preact/hooks';

export class Store<T> {
  #listeners = new Set<() => void>();
  constructor(protected state: T) {}

  get value(): T {
    return this.state;
  }

  set(next: T): void {
    this.state = next;
    for (const listener of this.#listeners) listener();
  }

  update(change: (state: T) => T): void {
    this.set(change(this.state));
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export function useStore<T>(store: Store<T>): T {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((tick) => tick + 1)), [store]);
  return store.value;
}
