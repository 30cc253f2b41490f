/**
 * Keyword redaction: `api_key=…`, `"password": "…"`, `Authorization: Bearer …`. The key and the
 * separator stay (the model still learns a credential is there); the value becomes [REDACTED].
 */
import { REDACTED } from './literals.js';

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
