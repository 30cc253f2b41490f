/**
 * Error messages travel to logs, JSON output and chat channels, so anything that looks like a
 * credential is removed first. Servers sometimes echo part of the key ("Incorrect API key
 * provided: sk-abc***xyz"); the exact configured key is removed as well when we know it.
 */

import { redactSecretForms, VENDOR_KEY_SOURCE } from '@oxydra/types';

// Vendor key shapes (sk-, sk-ant-, gsk_, ghp_, xoxb-, AIza, AKIA...): the one list, in @oxydra/types.
const KEY_LIKE = new RegExp(VENDOR_KEY_SOURCE, 'g');
const BEARER = /\b(Bearer)\s+[-_A-Za-z0-9.~+/=*]{6,}/gi;

export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  // Short values (placeholders, empty strings) would mangle ordinary words.
  const out = redactSecretForms(text, secrets, '[redacted]', 8);
  return out.replace(BEARER, '$1 [redacted]').replace(KEY_LIKE, '[redacted]');
}
