/**
 * Hash routes (`#/sessions/abc`): the server only ever serves `/`, so a reload or a shared link
 * never asks it for another path, and nothing secret is in the URL.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** The page: the first path segment ("chat" when empty). */
  page: string;
  /** The rest, decoded. */
  params: string[];
}

function parseHash(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { page: parts[0] ?? 'chat', params: parts.slice(1) };
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function navigate(...parts: string[]): void {
  location.hash = href(...parts);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
