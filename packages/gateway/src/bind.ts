/** The gateway's listen address: HOST:PORT parsing and "is this loopback only?". */
import { isIP } from 'node:net';
import { UsageError } from '@oxydra/types';

export interface BindAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:7700", "localhost:0", "[::1]:7700", "0.0.0.0:80". */
export function parseBind(raw: string, source = 'gateway.bind'): BindAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`${source} "${raw}": expected HOST:PORT, e.g. 127.0.0.1:7700 or [::1]:7700`);
  }
  if (match[1] !== undefined && isIP(host) !== 6) {
    throw new UsageError(`${source} "${raw}": only IPv6 addresses go in brackets`);
  }
  return { host, port };
}

/** True when only this machine can reach the host: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  return false;
}

/** True for the "every interface" addresses: 0.0.0.0 and ::. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || (isIP(host) === 6 && /^[0:]+$/.test(host));
}

/** A URL host part: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
