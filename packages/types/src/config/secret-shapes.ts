/**
 * What a credential looks like when nothing names it: the one list of vendor key shapes, with the
 * long random token (secret-forms.ts). `config show` masks an MCP server's argument that is one
 * (secrets.ts), and provider errors redact such keys wherever they appear
 * (@oxydra/provider's redact.ts builds its pattern from VENDOR_KEY_SOURCE).
 */

import { looksLikeRandomToken, urlPassword } from '../secret-forms.js';

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

/*
 * A text that holds a credential Oxydra does not hold itself: what a file sent to a chat
 * (`[[send_file: …]]`, @oxydra/channels files.ts) is checked for, since the answer naming it is
 * the model's words and a page it read can dictate them. The one home of that rule. Found: a PEM
 * private key block (id_rsa, a TLS key, a PGP secret key), a URL with a password
 * (`postgres://u:pw@h/db`, read by urlPassword), a vendor key's shape (VENDOR_KEY_SOURCE), and a
 * `KEY=value` / `key: value` line whose key names a secret (PASSWORD, SECRET, TOKEN, API_KEY,
 * PRIVATE_KEY, an `.npmrc`'s `_authToken`, `~/.aws/credentials`' `aws_secret_access_key`, a
 * kubeconfig's `client-key-data` or `token`), or a key named only `…key` whose value is a long
 * random token (looksLikeRandomToken). Prose that names a token ("the token: see below"), an empty
 * or placeholder value (`TOKEN=`, `<your key>`, `${TOKEN}`, `changeme`), a value that is code
 * (`token = os.environ["TOKEN"]`, `get_token()`) and a count (`max_tokens = 4096`) are not.
 */

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
/** A URL with a user and a password: each part bounded, so a long line is scanned in linear time. */
const URL_WITH_PASSWORD = /\b[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:/@]{0,256}:[^\s/@]{1,256}@/g;
const VENDOR_KEYS = new RegExp(VENDOR_KEY_SOURCE, 'g');
/** Words that make a key name a secret by themselves. */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'authtoken',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
]);
/** Words that make a following `key` a secret (`api_key`, `aws_secret_access_key`, `client-key-data`). */
const KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'secret',
  'access',
  'auth',
  'client',
  'signing',
  'encryption',
  'master',
]);
/** A key's last word that makes it about a secret, not one (`password_file`, `token_ttl`). */
const NOT_THE_VALUE = new Set([
  'file',
  'path',
  'dir',
  'name',
  'type',
  'count',
  'length',
  'size',
  'limit',
  'max',
  'min',
  'ttl',
  'expiry',
  'expires',
  'timeout',
  'env',
  'header',
  'prefix',
  'url',
  'endpoint',
  'mode',
  'policy',
  'enabled',
  'required',
  'hint',
  'label',
  'description',
  'command',
  'cmd',
]);
/** Values that hold no secret: empty-ish, a reference, a type, a placeholder. */
const PLACEHOLDER =
  /^(?:<.*>|\$\{.*\}|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|\{\{.*\}\}|(?:[a-z]{1,12}[-_])?[*x.…]+|~|-|null|nil|none|undefined|true|false|string|str|number|int|bytes|boolean|bool|any|optional|required|password|passwd|pass|secret|token|changeme|change-me|example|redacted|hidden|your[-_a-z0-9]*)$/i;
/** An unquoted value with these characters is code, not a credential (`os.environ["X"]`, `get()`). */
const CODE_CHARS = /[()[\]{};,<>]/;
const LINE_SCAN_MAX = 8192;

/** The key's words, lower case: `_authToken` → auth, token; `AWS_SECRET_ACCESS_KEY` → aws, secret, access, key. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

/** Whether a key names a secret, or is only a generic `…key` (then its value must look random). */
function keyNamesSecret(key: string): 'secret' | 'key' | undefined {
  const words = keyWords(key);
  const last = words.at(-1);
  if (last === undefined || NOT_THE_VALUE.has(last)) return undefined;
  if (words.length === 1 && words[0] === 'auth') return 'secret';
  for (let i = 0; i < words.length; i++) {
    if (SECRET_WORDS.has(words[i]!)) return 'secret';
    if (words[i] === 'key' && i > 0 && KEY_QUALIFIERS.has(words[i - 1]!)) return 'secret';
  }
  return last === 'key' ? 'key' : undefined;
}

/** The value of a `key = value` or `key: value` line as a credential would be written, or undefined. */
function assignedValue(rest: string): string | undefined {
  let value = rest.trim();
  const quote = value[0];
  if (quote === '"' || quote === "'" || quote === '`') {
    const end = value.indexOf(quote, 1);
    if (end < 0) return undefined;
    value = value.slice(1, end);
  } else {
    // A trailing comment is not the value. Found by a blank right before `#` and cut there: a
    // `[ \t]+#.*$` replace retried its blanks from each one (8 KB of blanks: ~45 ms a line,
    // quadratic, so a 20 MB file held the channel host for minutes).
    const comment = value.search(/[ \t]#/);
    if (comment >= 0) value = value.slice(0, comment).trimEnd();
    if (CODE_CHARS.test(value)) return undefined;
  }
  if (value === '' || /\s/.test(value) || PLACEHOLDER.test(value)) return undefined;
  return value;
}

/**
 * The assignment a line makes, if it is one: a key with no blank in it, then `=` (`.env`, `.npmrc`'s
 * `//host/:_authToken=`, an INI file) or else `:` and a blank (YAML, JSON).
 */
function lineAssignment(line: string): { key: string; value: string } | undefined {
  const body = line.replace(/^[ \t]*(?:export[ \t]+|-[ \t]+)?/, '');
  const equals = body.indexOf('=');
  const at = equals > 0 && !/\s/.test(body.slice(0, equals).trim()) ? equals : body.search(/:(?:[ \t]|$)/);
  if (at <= 0) return undefined;
  const key = body
    .slice(0, at)
    .trim()
    .replace(/^["']|["']$/g, '');
  if (key === '' || /\s/.test(key)) return undefined;
  const value = assignedValue(body.slice(at + 1));
  return value === undefined ? undefined : { key, value };
}

/** A generic `…key`'s value that is a key: a vendor's shape or a long random token (hex digests spared). */
function looksRandom(value: string): boolean {
  return VENDOR_KEY.test(value) || looksLikeRandomToken(value, { spareIdentifiers: true });
}

/** A key name fit to show: short, plain characters only (the file is hostile). */
function shownKey(key: string): string {
  const plain = key.replace(/[^A-Za-z0-9_.:/-]/g, '?');
  return plain.length > 40 ? `${plain.slice(0, 40)}…` : plain;
}

/**
 * What in `text` looks like a credential (the rule above), in a few words that never hold its
 * value: "a private key (PEM block)", "a password in a URL, line 3", "a value for DB_PASSWORD, line
 * 2"; undefined when nothing does.
 */
export function credentialIn(text: string): string | undefined {
  if (PEM_PRIVATE_KEY.test(text)) return 'a private key (PEM block)';
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    const where = `line ${lineNumber}`;
    for (const [found] of line.matchAll(URL_WITH_PASSWORD)) {
      const password = urlPassword(`${found}h`);
      if (password !== undefined && !PLACEHOLDER.test(password)) return `a password in a URL, ${where}`;
    }
    for (const [found] of line.matchAll(VENDOR_KEYS)) {
      if (!/^[^-_]+[-_][-_x*.]+$/i.test(found)) return `a key shaped like an API key, ${where}`;
    }
    if (line.length > LINE_SCAN_MAX) continue;
    const assignment = lineAssignment(line.replace(/\r$/, ''));
    if (assignment === undefined) continue;
    const named = keyNamesSecret(assignment.key);
    if (named === 'secret' || (named === 'key' && looksRandom(assignment.value))) {
      return `a value for ${shownKey(assignment.key)}, ${where}`;
    }
  }
  return undefined;
}
