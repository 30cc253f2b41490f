/**
 * `oxydra dashboard` opens `<gateway>/#code=<code>`: a single-use, one-minute code (never the
 * token). The code leaves the address bar before anything else happens, so it is in no history
 * entry that outlives the page's first moment, and is traded once for the token, which the tab
 * takes only once the person confirms who it signs in as (any web page can open such a link,
 * with a code of its maker's); then it lives in sessionStorage like a typed one. A used or
 * expired code leaves the login form.
 */
import { offerToken } from './session-token.js';

const CODE_IN_HASH = /^#code=([A-Za-z0-9_-]{20,100})$/;

export async function redeemLoginCode(): Promise<void> {
  const code = CODE_IN_HASH.exec(window.location.hash)?.[1];
  if (code === undefined) return;
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  try {
    const response = await fetch('/login/redeem', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    if (!response.ok) return;
    const { token } = (await response.json()) as { token?: unknown };
    if (typeof token === 'string' && token !== '') offerToken(token);
  } catch {
    // The gateway went away: the login form says the rest.
  }
}
