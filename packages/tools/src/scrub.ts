/**
 * Output scrubbing, applied to everything a tool hands back: host paths first (so the later rules
 * see the paths the model sees), then known secret values, then credential keywords, then
 * high-entropy tokens: the order of the original Oxydra's scrubber.
 */

import { looksLikeRandomToken, redactSecretForms, TOKEN_RUN_SOURCE } from '@oxydra/types';

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

/** A mapping list's rewrite, built once: the pattern, and each `from`'s `to`. */
interface HostPathRewrite {
  /** The `from` and `to` of each mapping when built: the rewrite serves only the same ones. */
  made: string[];
  pattern: RegExp;
  targets: Map<string, string>;
}

/**
 * Rewrites built per mapping list. A tool registry hands the same list to every call (two a
 * file_read), and building one (sorting, escaping, joining, the RegExp) was ~29 thousand
 * instructions a call (cachegrind); a list whose mappings changed since is built again.
 */
const rewrites = new WeakMap<readonly HostPathMapping[], HostPathRewrite | null>();

/** The `from` and `to` of each mapping, in order (what a kept rewrite was built from). */
function sameMappings(made: readonly string[], mappings: readonly HostPathMapping[]): boolean {
  if (made.length !== mappings.length * 2) return false;
  for (const [index, { from, to }] of mappings.entries()) {
    if (made[index * 2] !== from || made[index * 2 + 1] !== to) return false;
  }
  return true;
}

function hostPathRewrite(mappings: readonly HostPathMapping[]): HostPathRewrite | null {
  const kept = rewrites.get(mappings);
  if (kept !== undefined && (kept === null ? mappings.length === 0 : sameMappings(kept.made, mappings))) {
    return kept;
  }
  const usable = mappings
    .map(({ from, to }) => ({ from: withoutTrailingSlash(from), to: withoutTrailingSlash(to) }))
    // Mapping "/" would rewrite every path in the text.
    .filter(({ from }) => from.length > 1)
    .sort((a, b) => b.from.length - a.from.length);
  if (usable.length === 0) {
    // Only an empty list is kept as "nothing to rewrite": its contents cannot change unseen.
    if (mappings.length === 0) rewrites.set(mappings, null);
    return null;
  }
  const rewrite: HostPathRewrite = {
    made: mappings.flatMap(({ from, to }) => [from, to]),
    targets: new Map(usable.map(({ from, to }) => [from, to])),
    // Alternation tries left to right, so longest-first order makes the longest mapping win.
    pattern: new RegExp(
      `(?<![\\w.\\-/])(${usable.map(({ from }) => escapeRegExp(from)).join('|')})(?![\\w.\\-])`,
      'g',
    ),
  };
  rewrites.set(mappings, rewrite);
  return rewrite;
}

/**
 * Replaces each `from` with its `to`, the longest `from` first so nested mappings win, and only at
 * path boundaries: `/srv/ws` rewrites `/srv/ws/a` and `/srv/ws`, not `/srv/ws2` or `/x/srv/ws`.
 */
export function rewriteHostPaths(text: string, mappings: readonly HostPathMapping[]): string {
  const rewrite = hostPathRewrite(mappings);
  if (rewrite === null) return text;
  const { pattern, targets } = rewrite;
  return text.replace(pattern, (match) => targets.get(match) ?? match);
}

/** Redaction of known secret values (the provider keys the process holds, the gateway token, ...). */

export const REDACTED = '[REDACTED]';

/**
 * Values shorter than this are skipped: redacting "abc" everywhere would mangle ordinary text, and
 * no real credential is that short.
 */
const MIN_SECRET_LENGTH = 6;

/** Each secret replaced as written and in its encoded forms (percent, JSON, hex, base64: @oxydra/types). */
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
 * token in a URL path. What counts as one is the rule `config show` masks by too (@oxydra/types
 * looksLikeRandomToken); tool output spares the identifiers the model needs (commit hashes,
 * UUIDs, note ids, paths).
 */
const CANDIDATE = new RegExp(TOKEN_RUN_SOURCE, 'g');

export function redactHighEntropy(text: string): string {
  return text.replace(CANDIDATE, (token) =>
    looksLikeRandomToken(token, { spareIdentifiers: true }) ? REDACTED : token,
  );
}
