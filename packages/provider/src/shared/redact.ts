/**
 * Error messages travel to logs, JSON output and chat channels, so anything that looks like a
 * credential is removed first. Servers sometimes echo part of the key ("Incorrect API key
 * provided: sk-abc***xyz"); the exact configured key is removed as well when we know it.
 */

import { redactSecretForms } from '@oxydra/types';

// Vendor key shapes: sk-/sk-proj-/sk-ant- (OpenAI, Anthropic), gsk_ (Groq), xai- (xAI), AIza (Google).
// The separator is required so ordinary words ("skeleton", "sessions") survive.
const KEY_LIKE = /\b(?:sk|pk|rk|sess|gsk|xai)[-_][-_A-Za-z0-9*.]{6,}|\bAIza[-_A-Za-z0-9]{20,}/g;
const BEARER = /\b(Bearer)\s+[-_A-Za-z0-9.~+/=*]{6,}/gi;

export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  // Short values (placeholders, empty strings) would mangle ordinary words.
  const out = redactSecretForms(text, secrets, '[redacted]', 8);
  return out.replace(BEARER, '$1 [redacted]').replace(KEY_LIKE, '[redacted]');
}
