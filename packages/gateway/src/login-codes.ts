/**
 * Signing the dashboard in without the token in a URL (`oxydra dashboard`): a token holder asks
 * for a login code (POST /api/v1/login-codes), and the page given `/#code=<code>` trades it once,
 * within a minute, for that token (POST /login/redeem) and strips it from the address bar. A URL
 * that lands in the browser's history, a screen share or a shell's history is then worth nothing:
 * the code is single-use and short-lived, and the token itself never appears in a URL.
 */
import { randomBytes } from 'node:crypto';

/** How long a code can be traded. */
const LOGIN_CODE_TTL_MS = 60_000;
/** Codes outstanding at most: a token holder asking in a loop cannot grow the map. */
const MAX_CODES = 64;

export class LoginCodes {
  readonly #codes = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  mint(token: string): { code: string; expiresAt: number } {
    this.#sweep();
    while (this.#codes.size >= MAX_CODES) this.#codes.delete(this.#codes.keys().next().value!);
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + LOGIN_CODE_TTL_MS;
    this.#codes.set(code, { token, expiresAt });
    return { code, expiresAt };
  }

  /** The token the code was minted for, once; undefined for an unknown, used or expired code. */
  redeem(code: string): string | undefined {
    this.#sweep();
    const entry = this.#codes.get(code);
    this.#codes.delete(code);
    return entry?.token;
  }

  #sweep(): void {
    const now = this.now();
    for (const [code, entry] of this.#codes) if (entry.expiresAt <= now) this.#codes.delete(code);
  }
}
