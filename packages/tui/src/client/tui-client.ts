/**
 * The gateway client as the TUI uses it: over `ws` with the token in a header, every frame
 * checked against the protocol's schemas, a new session unless one is named.
 */
import { GatewayClient, type GatewayClientOptions } from '@oxydra/gateway-client';
import { checkedCodec } from '@oxydra/gateway-client/checked';
import { nodeSocket } from '@oxydra/gateway-client/node';

export type TuiClientOptions = Omit<GatewayClientOptions, 'openSocket'> & {
  /** Sent as `Authorization: Bearer <token>` on the upgrade request; never logged or shown. */
  token: string;
};

const HELLO_TIMEOUT_MS = 10_000;

export function newTuiClient({ token, ...options }: TuiClientOptions): GatewayClient {
  return new GatewayClient({
    openSocket: nodeSocket(token, options.helloTimeoutMs ?? HELLO_TIMEOUT_MS),
    codec: checkedCodec,
    idPrefix: 'tui',
    clientName: 'oxydra tui',
    ...options,
  });
}
