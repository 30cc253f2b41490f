/** Short messages shown in a corner (a live region) for a few seconds: scheduled runs, failures. */
import { Store } from './store.js';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

export const toasts = new Store<Toast[]>([]);
let counter = 0;

export function toast(text: string, tone: Toast['tone'] = 'info', ms = 8000): void {
  counter += 1;
  const id = counter;
  toasts.update((list) => [...list.slice(-4), { id, text, tone }]);
  setTimeout(() => dismissToast(id), ms);
}

export function dismissToast(id: number): void {
  toasts.update((list) => list.filter((item) => item.id !== id));
}
