/**
 * What a credential looks like when nothing names it: the one list of vendor key shapes and the
 * test for a long random token. `config show` masks an MCP server's argument that is one
 * (secrets.ts), and provider errors redact such keys wherever they appear
 * (@oxydra/provider's redact.ts builds its pattern from VENDOR_KEY_SOURCE).
 */

/**
 * Vendor key prefixes, each with its separator so ordinary words ("skeleton", "sessions",
 * "ghost") never match: OpenAI and Anthropic (sk-, sk-proj-, sk-ant-), Groq (gsk_), xAI (xai-),
 * GitHub (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), Slack (xoxb- xoxp- xoxa- xapp-), GitLab (glpat-),
 * Google (AIza), AWS access key ids (AKIA, ASIA), and publishable/restricted/session keys.
 */
export const VENDOR_KEY_SOURCE =
  '(?:\\b(?:sk|pk|rk|sess|gsk|xai|ghp|gho|ghu|ghs|ghr|github_pat|xox[bpas]|xapp|glpat)[-_][-_A-Za-z0-9*.]{6,}|\\bAIza[-_A-Za-z0-9]{20,}|\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b)';

const VENDOR_KEY = new RegExp(`^${VENDOR_KEY_SOURCE}$`);
/** `Bearer <token>` (an Authorization value passed as one argument). */
const BEARER = /^(?:Authorization:\s*)?Bearer\s+\S{6,}$/i;
/** Base64, base64url and hex characters, `=` only as trailing padding. */
const TOKEN = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;
/** A word: an optional capital and three or more lower-case letters. */
const WORD = /[A-Z]?[a-z]{3,}/g;

/**
 * Whether `word`, whole, looks like a credential: a vendor key, a bearer value, or a long random
 * token: at least 32 base64/hex characters mixing letters and digits, not starting with `/` (an
 * absolute path) and mostly not words (a relative path, a long package name). A commit
 * hash passes for one; masking it in what is only shown costs nothing.
 */
export function looksLikeSecret(word: string): boolean {
  if (VENDOR_KEY.test(word) || BEARER.test(word)) return true;
  if (!TOKEN.test(word) || word.startsWith('/')) return false;
  if (!/[0-9]/.test(word) || !/[A-Za-z]/.test(word)) return false;
  let inWords = 0;
  for (const [found] of word.matchAll(WORD)) inWords += found.length;
  return inWords / word.length < 0.5;
}
