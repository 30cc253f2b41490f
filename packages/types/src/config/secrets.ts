/** Which configuration keys hold secrets: `config show`, logs and errors must never print them. */
import { looksLikeSecret } from './secret-shapes.js';

const SECRET_KEY = /(^|_)(api_key|auth_token|token|secret|password)$/i;
const SECRET_HEADER = /auth|key|token|secret|cookie|password|session/i;

export const MASK = '********';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Header values under extra_headers are secret when the header name looks like a credential. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * Tables of headers: a provider's `extra_headers`, an HTTP MCP server's `headers`. A value is
 * secret when its header's name looks like a credential (Authorization, X-Api-Key).
 */
const HEADER_TABLES = new Set(['extra_headers', 'headers']);
/**
 * An MCP server's `env`: variables handed to a program, whose names say nothing reliable about
 * which hold credentials (DATABASE_URL with its password, OPENAI_KEY): every value is masked.
 */
const ENV_TABLE = 'env';
/** `scheme://user:password@`: the password of a URL's userinfo. */
const URL_PASSWORD = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/;

/** An MCP server's (or any program's) `args`: its command line, where flags can carry credentials. */
const ARGS_LIST = 'args';
/** `--api-key`, `--token`, `-password`: a flag whose name says its value is a credential. */
const SECRET_FLAG = /^--?([A-Za-z0-9][\w.-]*)$/;
/** `--api-key=sk-…`: the same with its value in the one argument. */
const SECRET_FLAG_VALUE = /^(--?[A-Za-z0-9][\w.-]*)=/;

/** `GITHUB_TOKEN=ghp_…`: a variable set on the command line (`env NAME=value server`). */
const NAME_VALUE = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/**
 * A command line with its credentials masked: the value of a flag named like one (`--api-key
 * X`, `--token=X`, as headers are named: auth, key, token, secret, password...) or of a
 * `NAME=value` so named, an argument that looks like a credential by itself (secret-shapes.ts: a
 * vendor key `sk-…`/`ghp_…`, `Bearer …`, a long random token), and URLs' credentials in any
 * argument. A short secret of no known shape in a position of its own still cannot be told
 * from any other word; docs/configuration.md says to pass keys by `env`.
 */
function maskArgs(args: readonly unknown[]): unknown[] {
  let maskNext = false;
  return args.map((arg) => {
    if (typeof arg !== 'string') return maskValue(arg, undefined, undefined);
    if (maskNext) {
      maskNext = false;
      if (!arg.startsWith('-')) return MASK;
    }
    const inline = SECRET_FLAG_VALUE.exec(arg) ?? NAME_VALUE.exec(arg);
    if (inline && isSecretHeader(inline[1]!)) return `${inline[1]}=${MASK}`;
    if (looksLikeSecret(arg)) return MASK;
    const assigned = arg.indexOf('=');
    if (assigned > 0 && looksLikeSecret(arg.slice(assigned + 1))) return `${arg.slice(0, assigned)}=${MASK}`;
    const flag = SECRET_FLAG.exec(arg);
    if (flag && isSecretHeader(flag[1]!)) maskNext = true;
    return maskInText(arg);
  });
}

/** A deep copy of `value` with every secret replaced by MASK. */
export function maskSecrets<T>(value: T): T {
  return maskValue(value, undefined, undefined) as T;
}

/**
 * A URL's credentials masked: the password of its userinfo and the values of query parameters
 * named like credentials (`?api_key=`, `?token=`). Any other text is returned as it is.
 */
function maskInText(text: string): string {
  if (!text.includes('://')) return text;
  const masked = text.replace(URL_PASSWORD, `$1:${MASK}@`);
  const query = masked.indexOf('?');
  if (query < 0) return masked;
  const params = masked
    .slice(query + 1)
    .replace(/(^|&)([^=&#]+)=([^&#]*)/g, (whole, lead: string, name: string) =>
      isSecretHeader(name) ? `${lead}${name}=${MASK}` : whole,
    );
  return `${masked.slice(0, query + 1)}${params}`;
}

function maskValue(value: unknown, key: string | undefined, parentKey: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key === undefined) return maskInText(value);
    if (parentKey === ENV_TABLE) return MASK;
    const secret =
      parentKey !== undefined && HEADER_TABLES.has(parentKey) ? isSecretHeader(key) : isSecretKey(key);
    return secret ? MASK : maskInText(value);
  }
  if (Array.isArray(value)) {
    if (key === ARGS_LIST) return maskArgs(value);
    return value.map((item) => maskValue(item, undefined, undefined));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) out[childKey] = maskValue(child, childKey, key);
    return out;
  }
  return value;
}
