/** Redaction of known secret values (the provider keys the process holds, the gateway token, ...). */

export const REDACTED = '[REDACTED]';

/**
 * Values shorter than this are skipped: redacting "abc" everywhere would mangle ordinary text, and
 * no real credential is that short.
 */
const MIN_SECRET_LENGTH = 6;

export function redactLiterals(text: string, secrets: readonly string[]): string {
  const values = [...new Set(secrets)]
    .filter((value) => value.length >= MIN_SECRET_LENGTH)
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const value of values) {
    if (result.includes(value)) result = result.split(value).join(REDACTED);
  }
  return result;
}
