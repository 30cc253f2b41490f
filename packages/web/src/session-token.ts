/**
 * The gateway token, entered once per browser tab: kept in sessionStorage only (gone when the
 * tab closes, never in a URL, a cookie or localStorage), sent as `Authorization: Bearer` and as
 * the WebSocket subprotocol `bearer.<token>`. Listeners hear when it is set or dropped (a 401
 * drops it, so the login form comes back).
 */
const KEY = 'oxydra.gateway-token';
const listeners = new Set<() => void>();
/** Why the token was dropped, shown on the login form (say, "the gateway refused the token"). */
let dropReason: string | undefined;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the token lives only as long as the page
  }
}

let memoryToken: string | undefined;

export function currentToken(): string | undefined {
  return storage()?.getItem(KEY) ?? memoryToken;
}

export function saveToken(token: string): void {
  dropReason = undefined;
  memoryToken = token;
  storage()?.setItem(KEY, token);
  notify();
}

export function dropToken(reason?: string): void {
  dropReason = reason;
  memoryToken = undefined;
  storage()?.removeItem(KEY);
  notify();
}

export function lastDropReason(): string | undefined {
  return dropReason;
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}

/**
 * A token a login link (`#code=`) traded for, not yet accepted: any web page can open the
 * dashboard with a link of its own, signing the tab in as whoever made that code (another user
 * of this gateway, reading what is typed there). So the tab asks first, naming who it would be.
 */
let offered: string | undefined;

export function offerToken(token: string): void {
  offered = token;
  notify();
}

export function offeredToken(): string | undefined {
  return offered;
}

/** The person said yes (the token is saved) or no (it is forgotten). */
export function answerOffer(accept: boolean): void {
  const token = offered;
  offered = undefined;
  if (accept && token !== undefined) saveToken(token);
  else notify();
}
