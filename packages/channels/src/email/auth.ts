/**
 * Whether an email really comes from its From domain. A From header is whatever the sender
 * typed, so the allowlist alone would let anyone who knows an allowed address in. The receiving
 * mail server checks SPF, DKIM and DMARC and writes its verdict in an `Authentication-Results`
 * header (RFC 8601) naming itself (the authserv-id); it removes headers of that name carrying
 * its own id from incoming mail, so only the one it added can name it. We trust the topmost
 * header with the configured id, and accept the mail when it shows, for the From domain:
 * dmarc=pass, or dkim=pass with the signing domain (header.d) the From domain or a parent of
 * it, or spf=pass with the envelope sender's domain (smtp.mailfrom) so aligned.
 */

interface AuthResult {
  method: string;
  result: string;
  /** Properties such as header.from, header.d, smtp.mailfrom (lower-cased names). */
  props: Record<string, string>;
}

export interface AuthResults {
  authservId: string;
  results: AuthResult[];
}

/** Longest header value looked at (a hostile message may carry a huge one). */
const MAX_HEADER = 8192;

/**
 * Parses one Authentication-Results value (RFC 8601): comments dropped, `;`-separated resinfo.
 * Quoted strings are read whole: a property's value may be one (RFC 8601 `pvalue`), and the
 * server copies some from the sender's own words, e.g. the envelope sender of
 * `MAIL FROM:<"x;dkim=pass header.d=victim.example y"@evil.example>` as smtp.mailfrom. Split at
 * every `;` and space, that one property would read as a passing DKIM result for victim.example.
 */
export function parseAuthResults(value: string): AuthResults | undefined {
  const [head, ...rest] = resinfoTokens(value.slice(0, MAX_HEADER).replace(/\r?\n[ \t]+/g, ' '));
  const authservId = head?.[0]?.toLowerCase();
  if (!authservId) return undefined;
  const results: AuthResult[] = [];
  for (const tokens of rest) {
    const first = tokens.shift();
    const match = first?.match(/^([A-Za-z0-9_-]+)(?:\/\d+)?=([A-Za-z0-9_-]+)$/);
    if (!match) continue;
    const props: Record<string, string> = {};
    for (const token of tokens) {
      const prop = token.match(/^([A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+)=(.+)$/);
      if (prop) props[prop[1]!.toLowerCase()] = unquoted(prop[2]!).toLowerCase();
    }
    results.push({ method: match[1]!.toLowerCase(), result: match[2]!.toLowerCase(), props });
  }
  return { authservId, results };
}

/**
 * The value's `;`-separated parts, each as its space-separated tokens: a quoted string (with its
 * backslash escapes) stays inside its token, quotes kept; a comment, which may nest and hold
 * quoted pairs, separates tokens and is dropped. One pass: linear in the (bounded) value.
 */
function resinfoTokens(text: string): string[][] {
  const parts: string[][] = [[]];
  let token = '';
  let depth = 0;
  let quoted = false;
  const endToken = () => {
    if (token !== '') parts.at(-1)!.push(token);
    token = '';
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      token += c;
      if (c === '\\' && i + 1 < text.length) token += text[++i];
      else if (c === '"') quoted = false;
    } else if (depth > 0) {
      if (c === '\\') i += 1;
      else if (c === '(') depth += 1;
      else if (c === ')') depth -= 1;
    } else if (c === '(') {
      endToken();
      depth = 1;
    } else if (c === ';') {
      endToken();
      parts.push([]);
    } else if (/\s/.test(c)) {
      endToken();
    } else {
      token += c;
      if (c === '"') quoted = true;
    }
  }
  endToken();
  return parts;
}

/** A value that is one quoted string, without its quotes and escapes; anything else as it is. */
function unquoted(value: string): string {
  return /^"(?:[^"\\]|\\.)*"$/.test(value) ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

/** The domain of an address or a domain ("user@a.example" or "a.example"), lower-cased. */
function domainOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const domain = value
    .slice(value.lastIndexOf('@') + 1)
    .replace(/[<>]/g, '')
    .toLowerCase();
  return /^[a-z0-9.-]+\.[a-z0-9-]+$/.test(domain) ? domain : undefined;
}

/** `signer` is `from` or a parent domain of it (at least two labels: never a bare TLD). */
function aligned(signer: string | undefined, from: string): boolean {
  if (signer === undefined) return false;
  return signer === from || (signer.includes('.') && from.endsWith(`.${signer}`));
}

/**
 * Why the mail is not shown authentic for `fromAddress` by `authservId`'s verdict among the
 * `headers` (Authentication-Results values, topmost first); undefined when it is.
 */
export function authenticationProblem(
  headers: readonly string[],
  authservId: string,
  fromAddress: string,
): string | undefined {
  const from = domainOf(fromAddress);
  if (from === undefined) return 'the From address has no domain';
  const trusted = headers
    .map(parseAuthResults)
    .find((parsed) => parsed?.authservId === authservId.toLowerCase());
  if (!trusted) return `no Authentication-Results from ${authservId}`;
  for (const { method, result, props } of trusted.results) {
    if (result !== 'pass') continue;
    if (method === 'dmarc' && domainOf(props['header.from']) === from) return undefined;
    if (method === 'dkim' && aligned(domainOf(props['header.d'] ?? props['header.i']), from))
      return undefined;
    if (method === 'spf' && aligned(domainOf(props['smtp.mailfrom']), from)) return undefined;
  }
  return `${authservId} did not pass DMARC, DKIM or SPF for ${from}`;
}
