/**
 * safeFetch: HTTP(S) that cannot be pointed at this machine or its network. For each hop it
 * resolves the host itself, checks every address against the EgressPolicy, and then connects to
 * the checked IP literal (never the name), so no second DNS answer can slip in between the check
 * and the connection (DNS rebinding). Redirects are followed by hand, each hop checked again.
 */
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { decodedBody, shownUrl } from '@oxydra/types';
import { canonicalIp, EgressPolicy, urlPort } from './address-policy.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;
const USER_AGENT = 'oxydra/0.1 (+https://github.com/oxydra/oxydra)';

/** Every address a host name resolves to (the check needs all of them, not the first). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

export interface ConnectTarget {
  address: string;
  family: 4 | 6;
  port: number;
}

/**
 * Where to open the socket for a checked target. The default is the target itself; tests map
 * a checked public address to a local server, which is the only way the check and the
 * connection can differ.
 */
export type Connector = (checked: ConnectTarget) => ConnectTarget;

export interface SafeFetchOptions {
  policy?: EgressPolicy;
  resolve?: Resolver;
  connect?: Connector;
  maxBytes?: number;
  timeoutMs?: number;
  userAgent?: string;
}

interface SafeRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface SafeResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  headers: IncomingMessage['headers'];
  contentType: string;
  body: Buffer;
  /** The body went past maxBytes; `body` is its first maxBytes bytes and the download stopped. */
  truncated: boolean;
}

export type SafeFetch = (url: string, init?: SafeRequest) => Promise<SafeResponse>;

/** A refusal by the SSRF guard (scheme, address, redirect loop), as opposed to a network error. */
export class EgressRefused extends Error {
  override name = 'EgressRefused';
}

export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createSafeFetch(options: SafeFetchOptions = {}): SafeFetch {
  const policy = options.policy ?? new EgressPolicy();
  const resolve = options.resolve ?? systemResolver;
  const connect = options.connect ?? ((target: ConnectTarget) => target);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const userAgent = options.userAgent ?? USER_AGENT;

  return async (input, init = {}) => {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (init.signal) signals.push(init.signal);
    const signal = AbortSignal.any(signals);
    let url = parseHttpUrl(input);
    const origin = url.origin;
    let headers = init.headers;
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; ; hop++) {
      const target = await checkedTarget(url, policy, resolve);
      // Once off the origin named, never back: a hop home again came by the other server's word.
      if (url.origin !== origin) headers = withoutCredentials(headers);
      const hopInit: HopRequest = { method, headers: { 'user-agent': userAgent, ...headers }, signal };
      if (body !== undefined) hopInit.body = body;
      const response = await requestOnce(url, connect(target), hopInit, maxBytes);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || typeof location !== 'string') return response;
      if (hop >= MAX_REDIRECTS) throw new EgressRefused(`too many redirects (more than ${MAX_REDIRECTS})`);
      url = parseHttpUrl(new URL(location, url).href);
      // 303, and 301/302 after a POST in practice, turn into a GET without a body.
      if (
        response.status === 303 ||
        (method === 'POST' && response.status !== 307 && response.status !== 308)
      ) {
        method = 'GET';
        body = undefined;
      }
    }
  };
}

/** Headers that carry the caller's credentials, meant for the origin it named. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * The caller's headers less its credentials, for a hop on another origin than the one it named:
 * a redirect is the server's choice, and would otherwise hand them to any server it names
 * (as the Fetch standard drops Authorization on a cross-origin redirect, and curl its cookies).
 */
function withoutCredentials(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
}

export function parseHttpUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new EgressRefused(`not a valid URL: ${shownUrl(input)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EgressRefused(`only http and https URLs can be fetched, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '')
    throw new EgressRefused('URLs with credentials are refused');
  return url;
}

/** The one address this hop will connect to, after every address of the host passed the policy. */
export async function checkedTarget(
  url: URL,
  policy: EgressPolicy,
  resolve: Resolver,
): Promise<ConnectTarget> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) !== 0 ? [host] : await resolveAll(resolve, host);
  const refusal = policy.refusal(url, addresses);
  // A redirect's URL is the server's choice: shortened, so its words do not fill an error.
  if (refusal !== undefined) throw new EgressRefused(`${shownUrl(url.href)}: ${refusal}`);
  const address = addresses[0];
  if (address === undefined) throw new EgressRefused(`${host} did not resolve to any address`);
  // canonicalIp strips brackets and zone-less forms; the socket gets a plain IP literal.
  const literal = isIP(address) === 4 ? address : (canonicalIp(address) ?? address);
  return { address: literal, family: isIP(literal) === 4 ? 4 : 6, port: urlPort(url) };
}

async function resolveAll(resolve: Resolver, host: string): Promise<readonly string[]> {
  try {
    return await resolve(host);
  } catch (error) {
    // The host is the server's choice (a redirect), and the resolver's message names it again.
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`could not resolve ${shownUrl(host)}: ${shownUrl(why)}`);
  }
}

interface HopRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

function requestOnce(
  url: URL,
  target: ConnectTarget,
  init: HopRequest,
  maxBytes: number,
): Promise<SafeResponse> {
  const https = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const options: RequestOptions & { servername?: string } = {
    // An IP literal: Node opens the socket without any DNS lookup of its own.
    host: target.address,
    family: target.family,
    port: target.port,
    method: init.method,
    path: `${url.pathname}${url.search}`,
    headers: {
      host: url.host,
      accept: '*/*',
      'accept-encoding': 'gzip, deflate, br',
      ...init.headers,
      ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }),
    },
    signal: init.signal,
    agent: false,
  };
  // TLS: SNI and certificate check against the name in the URL, not the IP we dialled.
  if (https && isIP(hostname) === 0) options.servername = hostname;
  const send = https ? httpsRequest : httpRequest;
  return new Promise<SafeResponse>((resolvePromise, reject) => {
    const req = send(options, (res) => {
      readCapped(decodedBody(res), maxBytes).then(({ body, truncated }) => {
        if (truncated) res.destroy();
        const contentType = res.headers['content-type'] ?? '';
        resolvePromise({
          url: url.href,
          status: res.statusCode ?? 0,
          headers: res.headers,
          contentType,
          body,
          truncated,
        });
      }, reject);
    });
    req.on('error', (error) => reject(init.signal.aborted ? abortError(init.signal) : error));
    req.end(init.body);
  });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new Error('the request timed out');
  return reason instanceof Error ? reason : new Error('the request was aborted');
}

async function readCapped(stream: Readable, maxBytes: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (size + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - size));
      stream.destroy();
      return { body: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { body: Buffer.concat(chunks), truncated: false };
}
