/** What can go wrong talking to the gateway, as errors a caller can tell apart. */

/**
 * Why a connection failed: nothing listening (`unreachable`), the token refused
 * (`unauthorized`), no hello_ack in time (`timeout`), the connection closed before hello_ack or
 * the session named is gone (`rejected`: another attempt may work), the gateway refused hello
 * for another reason (`refused`), or it speaks another protocol version (`protocol`). Messages
 * name the URL, never the token.
 */
export type ConnectFailure = 'unreachable' | 'unauthorized' | 'timeout' | 'rejected' | 'refused' | 'protocol';

export class GatewayConnectError extends Error {
  constructor(
    readonly kind: ConnectFailure,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayConnectError';
  }
}

/**
 * A request that got no answer: the gateway answered with an error frame (`fromServer`, already
 * shown to the user as that frame), the connection dropped, or the answer took too long.
 */
export class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly fromServer: boolean,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'GatewayRequestError';
  }
}
