/** Which configuration keys hold secrets: `config show`, logs and errors must never print them. */

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

/** A deep copy of `value` with every secret replaced by MASK. */
export function maskSecrets<T>(value: T): T {
  return maskValue(value, undefined, undefined) as T;
}

function maskValue(value: unknown, key: string | undefined, parentKey: string | undefined): unknown {
  if (typeof value === 'string' && key !== undefined) {
    const secret = parentKey === 'extra_headers' ? isSecretHeader(key) : isSecretKey(key);
    return secret ? MASK : value;
  }
  if (Array.isArray(value)) return value.map((item) => maskValue(item, undefined, undefined));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) out[childKey] = maskValue(child, childKey, key);
    return out;
  }
  return value;
}
