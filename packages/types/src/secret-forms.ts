/**
 * A known secret value replaced wherever it shows, in the forms a server, a program or a model
 * hands it back in: as written, percent-encoded (a URL, a form body), JSON-escaped (a body
 * quoting it) and base64 or base64url inside a longer run (`Authorization: Basic
 * base64(user:key)` echoed by a proxy's error, a `Bearer key` header encoded in a debug dump).
 * The one home of those forms: the tool output scrubber (@oxydra/tools redactLiterals, which
 * stored transcripts, the audit chain and the gateway log use too) and provider error messages
 * (@oxydra/provider redactSecrets) both call it. Also where a URL holds a password (urlPassword):
 * the list of secrets to look for takes it from every URL the configuration and the environment
 * give, and the config refuses a store URL holding one. Both run in every `oxydra run`, so
 * they share this module (one file fewer to load; bench/files-touched.mjs).
 */

/** Characters of a base64 or base64url run; a run holding a secret's encoding is replaced whole. */
const BASE64_CHAR = /[A-Za-z0-9+/_-]/;

/**
 * The shortest base64 core looked for: shorter runs of 6-bit characters turn up by chance, and
 * a secret long enough to be redacted (6 characters or more) gives at least this many.
 */
const MIN_CORE = 6;

/** Forms of one secret, computed once: a few secrets are replaced in every tool result. */
interface SecretForms {
  /** Exact strings: the value, its percent-encoding, its JSON escaping (when they differ). */
  literals: string[];
  /** Base64 and base64url characters that only the secret's bytes decide, at each of the 3 byte alignments. */
  cores: string[];
}

const formsCache = new Map<string, SecretForms>();
/** Bound on the cache: secrets are few, but a host may pass new ones for ever (one per token). */
const MAX_CACHED = 256;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The characters of base64(prefix + secret) that depend on the secret's bytes alone, for a
 * prefix of 0, 1 and 2 bytes: wherever the secret sits in an encoded text, one of the three
 * appears, whatever comes before or after it. Output character i holds bits [6i, 6i + 6).
 */
function base64Cores(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.set(bytes, shift);
    const encoded = base64(padded);
    const core = encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
    if (core.length < MIN_CORE) continue;
    cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(cores)];
}

function formsOf(secret: string): SecretForms {
  const cached = formsCache.get(secret);
  if (cached) return cached;
  const literals = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  const forms = { literals: [...new Set(literals)], cores: base64Cores(secret) };
  if (formsCache.size >= MAX_CACHED) formsCache.clear();
  formsCache.set(secret, forms);
  return forms;
}

/** `text` with every base64 run holding `core` replaced, found by indexOf and a scan (no backtracking). */
function replaceEncoded(text: string, core: string, replacement: string): string {
  let at = text.indexOf(core);
  if (at < 0) return text;
  let out = '';
  let done = 0;
  while (at >= 0) {
    let start = at;
    while (start > done && BASE64_CHAR.test(text[start - 1]!)) start--;
    let end = at + core.length;
    while (end < text.length && BASE64_CHAR.test(text[end]!)) end++;
    while (end < text.length && text[end] === '=') end++;
    out += text.slice(done, start) + replacement;
    done = end;
    at = text.indexOf(core, done);
  }
  return out + text.slice(done);
}

/**
 * `text` with each of `secrets` (at least `minLength` characters; shorter ones would mangle
 * ordinary words) replaced by `replacement` in every form above, the longest secret first so one
 * that contains another is replaced whole.
 */
export function redactSecretForms(
  text: string,
  secrets: readonly (string | undefined)[],
  replacement: string,
  minLength: number,
): string {
  const values = [...new Set(secrets)]
    .filter((value): value is string => value !== undefined && value.length >= minLength)
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const value of values) {
    const { literals, cores } = formsOf(value);
    for (const literal of literals) {
      if (result.includes(literal)) result = result.split(literal).join(replacement);
    }
    for (const core of cores) result = replaceEncoded(result, core, replacement);
  }
  return result;
}

/**
 * A URL's password (a postgres:// URL's, an OTLP endpoint's): after the user (`user:secret@`), else its `password` parameter,
 * which the driver (pg-connection-string) reads as one too. Undefined when it has none, or the
 * string does not parse (it has none to hide). The one reading of it: the config refuses a URL
 * that holds one (holdsPassword), the PostgreSQL store scrubs it from the driver's messages.
 */
export function urlPassword(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const password = decodedOrRaw(parsed.password) || (parsed.searchParams.get('password') ?? '');
  return password === '' ? undefined : password;
}

/** A bad %-escape is still a password: kept as written rather than lost. */
function decodedOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
