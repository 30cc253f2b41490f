/**
 * The sandbox's network allowlist ([tools.sandbox] allow_hosts): host patterns such as `registry.npmjs.org`,
 * `*.githubusercontent.com` (any subdomain, not the apex) or `api.example.com:8443` (that port
 * only; without a port any port is allowed). Matching is on the name the command asked for, in
 * lower case, without a trailing dot; IP literals match only when listed as such.
 */

export interface HostPattern {
  /** Lower case; for a wildcard, the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  port?: number;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Why `raw` is not a valid host pattern, or undefined. */
export function hostPatternProblem(raw: string): string | undefined {
  try {
    parseHostPattern(raw);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function parseHostPattern(raw: string): HostPattern {
  const text = raw.trim().toLowerCase();
  if (text === '*' || text === '') {
    throw new Error(`"${raw}" would allow every host; use network = "on" for that`);
  }
  if (/[/?#@]|:\/\//.test(text)) {
    throw new Error(`"${raw}" is not a host: write only the name (and :port), e.g. "example.com:443"`);
  }
  let host = text;
  let port: number | undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [name, portText] = text.split(':') as [string, string];
    host = name;
    port = Number(portText);
    if (!/^\d+$/.test(portText)) throw new Error(`"${raw}": the port must be a number`);
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`"${raw}": port out of range`);
  host = host.replace(/\.$/, '');
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (host.includes(':')) return { host, wildcard: false, ...(port === undefined ? {} : { port }) };
  if (!host.split('.').every((label) => LABEL.test(label))) {
    throw new Error(`"${raw}" is not a valid host name (a "*." prefix is the only wildcard)`);
  }
  return { host, wildcard, ...(port === undefined ? {} : { port }) };
}

/** Normalises what a client asked for (`Host`/CONNECT target) for matching. */
export function normaliseHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

export function hostAllowed(patterns: readonly HostPattern[], host: string, port: number): boolean {
  const name = normaliseHost(host);
  return patterns.some((pattern) => {
    if (pattern.port !== undefined && pattern.port !== port) return false;
    return pattern.wildcard ? name.endsWith(`.${pattern.host}`) : name === pattern.host;
  });
}
