/**
 * What a credential looks like when nothing names it: the one list of vendor key shapes, with the
 * long random token (secret-forms.ts). `config show` masks an MCP server's argument that is one
 * (secrets.ts), and provider errors redact such keys wherever they appear
 * (@oxydra/provider's redact.ts builds its pattern from VENDOR_KEY_SOURCE).
 */

import { looksLikeRandomToken } from '../secret-forms.js';

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
/**
 * Whether `word`, whole, looks like a credential: a vendor key, a bearer value, or a long random
 * token (the one rule, secret-forms.ts looksLikeRandomToken). Nothing is spared here: a commit
 * hash or a hex digest passes for a token, and masking it in what is only shown costs nothing.
 */
export function looksLikeSecret(word: string): boolean {
  return VENDOR_KEY.test(word) || BEARER.test(word) || looksLikeRandomToken(word);
}
