/**
 * Output scrubbing, applied to everything a tool hands back: host paths first (so the later rules
 * see the paths the model sees), then known secret values, then credential keywords, then
 * high-entropy tokens: the order of the original Oxydra's scrubber.
 */

import { redactSecretForms } from '@oxydra/types';

export interface ScrubOptions {
  /** Literal secret values (API keys the process holds, tokens) replaced wherever they appear. */
  secrets?: readonly string[];
  hostPaths?: readonly HostPathMapping[];
}

export function scrubText(text: string, options: ScrubOptions = {}): string {
  let result = rewriteHostPaths(text, options.hostPaths ?? []);
  result = redactLiterals(result, options.secrets ?? []);
  result = redactKeywords(result);
  return redactHighEntropy(result);
}

/** Scrubs every string inside plain data (a tool's structured `data` for UIs and logs). */
export function scrubValue<T>(value: T, options: ScrubOptions = {}): T {
  return scrubAny(value, options) as T;
}

function scrubAny(value: unknown, options: ScrubOptions): unknown {
  if (typeof value === 'string') return scrubText(value, options);
  if (Array.isArray(value)) return value.map((item) => scrubAny(item, options));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubAny(item, options)]));
  }
  return value;
}

/**
 * Host-path rewriting: the model should see the paths of its own world (`/shared/notes.md`), never
 * the host's (`/home/alice/.oxydra/workspaces/alice/shared/notes.md`), which leak user names and
 * layout and which it could not use anyway.
 */

export interface HostPathMapping {
  /** Absolute host path, e.g. the workspace's real location. */
  from: string;
  /** What the model sees instead, e.g. `/shared`. */
  to: string;
}

/**
 * The workspace as the model sees it: `.`, so `pwd` prints `.`, and `/ws/out/x` reads `./out/x`,
 * a path the file tools (rooted at the workspace) accept. An empty replacement would turn it
 * into `/out/x`, which they refuse as outside the workspace.
 */
export function workspacePathMapping(workspace: string): HostPathMapping {
  return { from: workspace, to: '.' };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const withoutTrailingSlash = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/**
 * Replaces each `from` with its `to`, the longest `from` first so nested mappings win, and only at
 * path boundaries: `/srv/ws` rewrites `/srv/ws/a` and `/srv/ws`, not `/srv/ws2` or `/x/srv/ws`.
 */
export function rewriteHostPaths(text: string, mappings: readonly HostPathMapping[]): string {
  const usable = mappings
    .map(({ from, to }) => ({ from: withoutTrailingSlash(from), to: withoutTrailingSlash(to) }))
    // Mapping "/" would rewrite every path in the text.
    .filter(({ from }) => from.length > 1)
    .sort((a, b) => b.from.length - a.from.length);
  if (usable.length === 0) return text;
  const targets = new Map(usable.map(({ from, to }) => [from, to]));
  // Alternation tries left to right, so longest-first order makes the longest mapping win.
  const pattern = new RegExp(
    `(?<![\\w.\\-/])(${usable.map(({ from }) => escapeRegExp(from)).join('|')})(?![\\w.\\-])`,
    'g',
  );
  return text.replace(pattern, (match) => targets.get(match) ?? match);
}

/** Redaction of known secret values (the provider keys the process holds, the gateway token, ...). */

export const REDACTED = '[REDACTED]';

/**
 * Values shorter than this are skipped: redacting "abc" everywhere would mangle ordinary text, and
 * no real credential is that short.
 */
const MIN_SECRET_LENGTH = 6;

/** Each secret replaced as written and in its encoded forms (percent, JSON, base64: @oxydra/types). */
export function redactLiterals(text: string, secrets: readonly string[]): string {
  return redactSecretForms(text, secrets, REDACTED, MIN_SECRET_LENGTH);
}

/**
 * Keyword redaction: `api_key=…`, `"password": "…"`, `Authorization: Bearer …`. The key and the
 * separator stay (the model still learns a credential is there); the value becomes [REDACTED].
 */

/** A key whose name ends in a credential word: `password`, `OPENAI_API_KEY`, `client_secret`, `--api-key`. */
const KEY =
  '[A-Za-z0-9_.-]*(?:api[_-]?key|secret(?:[_-]?key)?|passw(?:or)?d|passphrase|token|credentials?|private[_-]?key)';
/** Optional closing quote of a JSON/YAML key, then `:` or `=`. */
const SEPARATOR = String.raw`["']?[ \t]*[:=][ \t]*`;
/** A quoted value (may hold spaces) or a bare one up to whitespace or punctuation. */
const VALUE = String.raw`"[^"\n]+"|'[^'\n]+'|[^\s"'\x60,;&{})<>[\]]+`;

const KEYWORD_PATTERN = new RegExp(`(?<![A-Za-z0-9_.-])(${KEY}${SEPARATOR})(${VALUE})`, 'gi');
/** `Authorization: Bearer x`, `authorization=Basic x`, `Authorization: token x`. */
const AUTHORIZATION_PATTERN = new RegExp(
  String.raw`(authorization${SEPARATOR}["']?(?:(?:bearer|basic|token|digest)[ \t]+)?)([^\s"',;]+)`,
  'gi',
);
/** A bearer token outside a header line, e.g. in a curl command's echo. */
const BEARER_PATTERN = /(\bBearer[ \t]+)([A-Za-z0-9._~+/=-]{8,})/g;

/** Values that are code or placeholders, not credentials: `token: string`, `password = getPassword()`. */
const NOT_A_SECRET = [
  /^(?:string|number|boolean|bigint|undefined|null|none|nil|true|false|any|unknown|object|str|int|bool|bytes|optional|required|redacted|\[redacted\]|\*+|x+|\.+)$/i,
  /^\$/, // $VAR, ${VAR}: a reference, not a value
  /^=/, // the rest of a comparison: token == expected
  /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\($/, // a call: getToken(
  /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/, // a member: process.env.TOKEN, config.password
];

const isSecretValue = (value: string): boolean => {
  const bare = value.replace(/^(["'])(.*)\1$/, '$2');
  return !NOT_A_SECRET.some((pattern) => pattern.test(bare));
};

const quoteLike = (value: string, replacement: string): string => {
  const quote = value[0];
  return quote === '"' || quote === "'" ? `${quote}${replacement}${quote}` : replacement;
};

export function redactKeywords(text: string): string {
  return text
    .replace(AUTHORIZATION_PATTERN, (match, head: string, value: string) =>
      value === REDACTED ? match : head + REDACTED,
    )
    .replace(BEARER_PATTERN, (_match, head: string) => head + REDACTED)
    .replace(KEYWORD_PATTERN, (match, head: string, value: string) =>
      isSecretValue(value) ? head + quoteLike(value, REDACTED) : match,
    );
}

/**
 * Entropy redaction catches credentials no keyword announces: a bare `sk-…` key in a log line, a
 * token in a URL path. Candidates are runs of token characters 24–512 long that mix letters and
 * digits and carry at least 3.8 bits of Shannon entropy per character. Exempt, because they are
 * identifiers the model needs: pure hex (commit hashes, UUIDs, digests), `note-<uuid>` memory ids,
 * and paths with three or more separators. Two more exemptions keep code readable, since
 * camelCase names with a digit reach 3.8 bits easily: names made mostly of words
 * (`createV2ResponsesAdapter`), and names whose `_`/`-`/`.` parts are each all letters or all
 * digits (`ERR_INVALID_ARG_1234`). By chance a random base62 key slips through the word test about
 * 4 times in 100 at 32 characters and 1 in 100 at 64; keys announced by a keyword, and the literal
 * keys the process holds, are redacted by the earlier rules anyway.
 */

/** Base64, base64url, JWT and key characters; `=` only as trailing padding, so `id=…` keeps its key. */
const TOKEN_CHARS = 'A-Za-z0-9_+/.~-';
const CANDIDATE = new RegExp(`(?<![${TOKEN_CHARS}])[${TOKEN_CHARS}]{24,512}={0,3}(?![=${TOKEN_CHARS}])`, 'g');
const MIN_BITS_PER_CHAR = 3.8;

const PURE_HEX = /^[0-9a-f-]+$/i;
/** A word: an optional capital and three or more lower-case letters. */
const WORD = /[A-Z]?[a-z]{3,}/g;
const MIN_WORD_SHARE = 0.4;
const WORDS_AND_NUMBERS = /^(?:[A-Za-z]+|[0-9]+)(?:[_.-](?:[A-Za-z]+|[0-9]+))+$/;
const NOTE_ID = /^note-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Share of the token's characters that are in words. */
function wordShare(token: string): number {
  let inWords = 0;
  for (const [word] of token.matchAll(WORD)) inWords += word.length;
  return inWords / token.length;
}

/** `token` without trailing dots, by a scan from the end (`/\.+$/` retries from every dot of a long run). */
function withoutTrailingDots(token: string): string {
  let end = token.length;
  while (end > 0 && token[end - 1] === '.') end--;
  return token.slice(0, end);
}

export function looksLikeSecret(token: string): boolean {
  // A dot may end the sentence rather than belong to the token ("Saved note note-<uuid>.").
  const bare = withoutTrailingDots(token);
  if (PURE_HEX.test(bare) || NOTE_ID.test(bare)) return false;
  if ((token.match(/\//g)?.length ?? 0) >= 3) return false;
  // Mixed classes: words, snake_case and kebab-case names have no digits; numbers have no letters.
  if (!/[A-Za-z]/.test(token) || !/[0-9]/.test(token)) return false;
  if (WORDS_AND_NUMBERS.test(token) || wordShare(token) >= MIN_WORD_SHARE) return false;
  return shannonEntropy(token) >= MIN_BITS_PER_CHAR;
}

export function redactHighEntropy(text: string): string {
  return text.replace(CANDIDATE, (token) => (looksLikeSecret(token) ? REDACTED : token));
}
