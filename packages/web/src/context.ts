/** What every page of a logged-in dashboard can reach: who the token is, and the chat connection. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api-types.js';
import type { ChatStore } from './chat-store.js';

export interface Dashboard {
  /** The token's user and role; null when the gateway did not say (an older gateway). */
  me: Me | null;
  chat: ChatStore;
}

export const DashboardContext = createContext<Dashboard | null>(null);

export function useDashboard(): Dashboard {
  const value = useContext(DashboardContext);
  if (!value) throw new Error('useDashboard outside the dashboard');
  return value;
}
