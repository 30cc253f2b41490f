/**
 * The SSRF address policy: which IP addresses the web tools may connect to. Only globally
 * routable unicast addresses pass; everything that can reach this machine, its LAN, a cloud
 * metadata service or an address that merely looks public but embeds a private IPv4 one
 * (mapped, NAT64, 6to4) is refused. The user's egress_allowlist opens exceptions.
 */
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';

type Range = readonly [network: string, prefix: number, reason: string];

const V4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  // Includes the limited broadcast address 255.255.255.255.
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

const V6_RANGES: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard-only'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  // Teredo hides the client's IPv4 address (XOR-ed), so it cannot be checked: refused outright.
  ['2001::', 32, 'Teredo'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:10::', 28, 'ORCHID'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

interface RangeTable {
  list: BlockList;
  ranges: readonly Range[];
  family: 'ipv4' | 'ipv6';
}

function table(ranges: readonly Range[], family: 'ipv4' | 'ipv6'): RangeTable {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family);
  return { list, ranges, family };
}

// Built at the first check (a web tool running), not when the tools are made at start-up.
let v4Table: RangeTable | undefined;
let v6Table: RangeTable | undefined;
const V4 = (): RangeTable => (v4Table ??= table(V4_RANGES, 'ipv4'));
const V6 = (): RangeTable => (v6Table ??= table(V6_RANGES, 'ipv6'));

/** The reason of the first range holding `address`; BlockList says whether, the table says why. */
function rangeReason(t: RangeTable, address: string): string | undefined {
  if (!t.list.check(address, t.family)) return undefined;
  for (const [network, prefix, reason] of t.ranges) {
    const one = new BlockList();
    one.addSubnet(network, prefix, t.family);
    if (one.check(address, t.family)) return reason;
  }
  return 'reserved';
}

/** An IPv6 address as 16 bytes (zone id dropped, embedded dotted quad folded in), or undefined. */
function parseIpv6(text: string): Uint8Array | undefined {
  let s = text.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!isIPv6(s)) return undefined;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...restGroups];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** Full, lower-case, zero-padded form, so that equal addresses compare equal as strings. */
function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

const v4At = (bytes: Uint8Array, at: number): string => Array.from(bytes.subarray(at, at + 4)).join('.');

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((value, i) => bytes[i] === value);

/**
 * The IPv4 address an IPv6 one stands for, where the network would deliver it to that IPv4
 * address: mapped (::ffff:a.b.c.d), SIIT (::ffff:0:a.b.c.d), compatible (::a.b.c.d), NAT64
 * (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
 */
function embeddedIpv4(bytes: Uint8Array): string | undefined {
  const zeros10 = Array<number>(10).fill(0);
  if (startsWith(bytes, [...zeros10, 0xff, 0xff])) return v4At(bytes, 12);
  if (startsWith(bytes, [...Array<number>(8).fill(0), 0xff, 0xff, 0, 0])) return v4At(bytes, 12);
  if (startsWith(bytes, [...zeros10, 0, 0])) {
    // :: and ::1 are in the table; the rest of ::/96 is the deprecated "compatible" form.
    const rest = bytes.subarray(12);
    if (rest.every((b, i) => b === 0 || (i === 3 && b === 1))) return undefined;
    return v4At(bytes, 12);
  }
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return v4At(bytes, 12);
  if (startsWith(bytes, [0x20, 0x02])) return v4At(bytes, 2);
  return undefined;
}

/**
 * Why `address` may not be reached (e.g. "loopback"), or undefined when it is a public
 * address. Anything that is not an IP address at all is refused too.
 */
export function addressRestriction(address: string): string | undefined {
  if (isIPv4(address)) return rangeReason(V4(), address);
  const bytes = parseIpv6(address);
  if (!bytes) return 'not an IP address';
  const canonical = formatIpv6(bytes);
  const own = rangeReason(V6(), canonical);
  if (own) return own;
  const v4 = embeddedIpv4(bytes);
  if (v4 === undefined) return undefined;
  const inner = rangeReason(V4(), v4);
  // A phrase that reads before "address" (EgressPolicy.refusal: "a loopback IPv4 127.0.0.1 inside an IPv6 address").
  return inner === undefined ? undefined : `${inner} IPv4 ${v4} inside an IPv6`;
}

export const isPublicAddress = (address: string): boolean => addressRestriction(address) === undefined;

/** A comparable form of an IP address (v6 expanded), or undefined for a host name. */
export function canonicalIp(text: string): string | undefined {
  const bare = text.replace(/^\[|\]$/g, '');
  if (isIPv4(bare)) return bare;
  const bytes = parseIpv6(bare);
  return bytes ? formatIpv6(bytes) : undefined;
}

interface AllowEntry {
  /** Lower-case host name, or an IP address in canonical form. */
  host: string;
  port?: number;
}

/** `host`, `host:port`, `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]:8080`. */
function parseEntry(raw: string): AllowEntry | undefined {
  const entry = raw.trim().toLowerCase();
  if (entry === '') return undefined;
  let host = entry;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(entry) === 0) {
    const hostPort = /^(.+):(\d+)$/.exec(entry);
    if (hostPort) {
      host = hostPort[1] ?? '';
      port = Number(hostPort[2]);
    }
  }
  host = canonicalIp(host) ?? host.replace(/\.$/, '');
  return port === undefined ? { host } : { host, port };
}

/** The port a URL connects to, its scheme's default when it names none. */
export function urlPort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** The address policy plus the user's exceptions (config `tools.web_search.egress_allowlist`). */
export class EgressPolicy {
  private readonly entries: readonly AllowEntry[];

  constructor(allowlist: readonly string[] = []) {
    this.entries = allowlist.flatMap((raw) => parseEntry(raw) ?? []);
  }

  /** A policy with more exceptions (e.g. the configured search backend). */
  with(extra: readonly string[]): EgressPolicy {
    return new EgressPolicy([...this.entries.map(formatEntry), ...extra]);
  }

  private allows(host: string, port: number): boolean {
    return this.entries.some((e) => e.host === host && (e.port === undefined || e.port === port));
  }

  /**
   * Why a request to `url` whose host resolved to `addresses` is refused, or undefined. One
   * disallowed address refuses the whole request: the connection must only ever go to checked
   * addresses, and a mixed answer is the classic rebinding set-up.
   */
  refusal(url: URL, addresses: readonly string[]): string | undefined {
    const port = urlPort(url);
    const rawHost = url.hostname.replace(/^\[|\]$/g, '');
    const host = canonicalIp(rawHost) ?? rawHost.toLowerCase().replace(/\.$/, '');
    // A host the user allowed by name is trusted whatever it resolves to (an intranet name).
    if (this.allows(host, port)) return undefined;
    if (addresses.length === 0) return `${host} did not resolve to any address`;
    for (const address of addresses) {
      const reason = addressRestriction(address);
      if (reason === undefined) continue;
      const ip = canonicalIp(address);
      if (ip !== undefined && this.allows(ip, port)) continue;
      const via = address === rawHost ? '' : ` (${host} resolves to ${address})`;
      return `refused to connect to a ${reason} address${via}; add the host to tools.web_search.egress_allowlist if you trust it`;
    }
    return undefined;
  }
}

function formatEntry(entry: AllowEntry): string {
  const host = entry.host.includes(':') ? `[${entry.host}]` : entry.host;
  return entry.port === undefined ? host : `${host}:${entry.port}`;
}
