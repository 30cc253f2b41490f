/**
 * Why a request got no answer, in words a user can act on: "connection refused (ECONNREFUSED)"
 * with "is the server running?", rather than fetch's "fetch failed". The SDKs wrap the system
 * error two or three levels deep (APIConnectionError > TypeError > Error{code}), so the cause
 * chain is walked for the first code we know.
 */

export interface NetworkDiagnosis {
  /** "connection refused (ECONNREFUSED)". */
  reason: string;
  /** What to do about it. */
  hint: string;
  code: string;
}

const REFUSED = {
  reason: 'connection refused',
  hint: 'nothing is listening there: start the server (e.g. `ollama serve`), or fix the URL (--base-url, or base_url in the config)',
};
const NOT_FOUND = {
  reason: 'host not found',
  hint: 'check the host name in the URL, and that this machine can resolve it (DNS, network)',
};
const TIMED_OUT = {
  reason: 'connection timed out',
  hint: 'check that the host is reachable from here (network, firewall, VPN)',
};
const UNREACHABLE = { reason: 'host unreachable', hint: 'check the network route to the host' };
const RESET = {
  reason: 'connection reset by the server',
  hint: 'the server closed the connection; if it speaks plain HTTP, use an http:// URL',
};
const TLS = {
  reason: 'TLS handshake failed',
  hint: 'for a plain-HTTP local server use an http:// URL; for a private CA set NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
};

const BY_CODE: Record<string, { reason: string; hint: string }> = {
  ECONNREFUSED: REFUSED,
  ENOTFOUND: NOT_FOUND,
  EAI_AGAIN: { ...NOT_FOUND, reason: 'host name lookup failed temporarily' },
  ETIMEDOUT: TIMED_OUT,
  UND_ERR_CONNECT_TIMEOUT: TIMED_OUT,
  EHOSTUNREACH: UNREACHABLE,
  ENETUNREACH: { ...UNREACHABLE, reason: 'network unreachable' },
  ECONNRESET: RESET,
  UND_ERR_SOCKET: RESET,
  EPROTO: TLS,
};

function tlsCode(code: string): boolean {
  return /^(?:ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT$|HOSTNAME_MISMATCH$)/.test(
    code,
  );
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/** The network failure behind `error`, if its cause chain holds one we can explain. */
export function diagnoseNetworkError(error: unknown): NetworkDiagnosis | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const candidates = [current, ...((current as { errors?: unknown[] }).errors ?? [])];
    for (const candidate of candidates) {
      const code = codeOf(candidate);
      if (code === undefined) continue;
      const known = BY_CODE[code] ?? (tlsCode(code) ? TLS : undefined);
      if (!known) continue;
      // A TLS error's own text says which check failed ("certificate has expired").
      const detail =
        known === TLS && candidate instanceof Error && !/ssl routines/i.test(candidate.message)
          ? `: ${candidate.message}`
          : '';
      return { reason: `${known.reason}${detail} (${code})`, hint: known.hint, code };
    }
    // Node's fetch refuses the Fetch standard's "bad ports" (9, 25, 6000, ...) with no code.
    if (current instanceof Error && current.message === 'bad port') return BAD_PORT;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const BAD_PORT: NetworkDiagnosis = {
  reason: 'port refused by fetch (bad port)',
  hint: "Node's fetch never connects to ports the Fetch standard lists as unsafe (such as 9, 25 or 6000): serve the model on another port",
  code: 'BAD_PORT',
};

/**
 * An OpenAI-compatible server answered 404 at a base URL without a version path: almost always
 * the missing `/v1` (Ollama, vLLM and LM Studio serve under /v1).
 */
export function missingVersionHint(baseURL: string): string | undefined {
  try {
    const url = new URL(baseURL);
    if (/\/v\d+[a-z]*\/?$/i.test(url.pathname) || /\/v\d/.test(url.pathname)) return undefined;
    const fixed = `${url.origin}${url.pathname.replace(/\/$/, '')}/v1`;
    return `OpenAI-compatible servers usually serve under /v1: try --base-url ${fixed}`;
  } catch {
    return undefined;
  }
}
