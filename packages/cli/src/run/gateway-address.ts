/**
 * The address of a running gateway given on the command line (`oxydra tui --gateway`,
 * `oxydra dashboard --gateway`): one rule for both commands. The gateway serves its HTTP API and
 * its WebSocket (at /ws) on one port, so either spelling names it: http:// and ws:// the same
 * gateway, https:// and wss:// the same gateway behind TLS. Both commands send the gateway's
 * bearer token with their first request, in clear text over http:// or ws://: those are taken
 * for this machine only (a loopback host); another host needs https:// or wss://, or an SSH
 * tunnel to a local port. There is no flag to send the token in clear across a network.
 */
import { GATEWAY_TOKEN_ENV } from '@oxydra/config/admin';
// The light subpath: the package's root loads the gateway server (fastify), which tui must not.
import { isLoopbackHost } from '@oxydra/gateway/bind';
import { UsageError } from '@oxydra/types';

/** A gateway on this machine, as `oxydra gateway` listens by default. */
const DEFAULT_GATEWAY_ADDRESS = 'http://127.0.0.1:7700';

export interface GatewayAddress {
  /** https:// or wss://: the token travels encrypted. */
  secure: boolean;
  /** host[:port] as the URL has it. */
  host: string;
  /** The path given, '/' when none. */
  path: string;
}

/** Parses and checks --gateway: http(s)/ws(s), no credentials, no clear text to another host. */
export function gatewayAddress(text: string, flag = '--gateway'): GatewayAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} ${text} is not a URL`, { hint: `use the form ${DEFAULT_GATEWAY_ADDRESS}` });
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
    throw new UsageError(`${flag} ${text} must be an http://, https://, ws:// or wss:// URL`, {
      hint: `e.g. ${DEFAULT_GATEWAY_ADDRESS}`,
    });
  if (url.username || url.password)
    throw new UsageError(`${flag} must not carry credentials`, {
      hint: `the token comes from ${GATEWAY_TOKEN_ENV} or the gateway token file`,
    });
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  // The bearer token would cross the network in clear text to another host.
  if (!secure && !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, '')))
    throw new UsageError(`${flag} ${text} would send the gateway token unencrypted to another host`, {
      hint: `use https:// (or wss://), or tunnel the port (ssh -L 7700:127.0.0.1:7700 ${url.hostname}) and use ${flag} ${DEFAULT_GATEWAY_ADDRESS}`,
    });
  return { secure, host: url.host, path: url.pathname };
}

/** The gateway's WebSocket: ws(s)://host/ws, or the path given (a proxy's). */
export function webSocketUrl(address: GatewayAddress): string {
  const path = address.path === '/' ? '/ws' : address.path;
  return `${address.secure ? 'wss' : 'ws'}://${address.host}${path}`;
}

/** The gateway's HTTP origin, where its API and dashboard are. */
export function httpOrigin(address: GatewayAddress): string {
  return `${address.secure ? 'https' : 'http'}://${address.host}`;
}
