/**
 * The view state outside React: the gateway client feeds it from the first connection attempt
 * (before Ink mounts, so no frame is lost), and the Ink app reads it with useSyncExternalStore.
 */
import { reduceView, type ViewAction } from './reducer.js';
import { initialViewState, type ViewState } from './state.js';

export class ViewStore {
  private state: ViewState = initialViewState();
  private readonly listeners = new Set<() => void>();

  readonly getState = (): ViewState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly dispatch = (action: ViewAction): void => {
    const next = reduceView(this.state, action);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  };
}
