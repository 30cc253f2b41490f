/**
 * The gateway's tests talk to it with the one protocol client, @oxydra/gateway-client, as the
 * TUI does (over `ws`, every frame checked against the protocol's schemas), with a FrameInbox to
 * await the frames a test causes. It never reconnects and never checks health on its own, so a
 * test sees each connection the gateway ends and only the frames it asked for.
 */
import { FrameInbox, GatewayClient, type HelloAck } from '@oxydra/gateway-client';
import { checkedCodec } from '@oxydra/gateway-client/checked';
import { nodeSocket } from '@oxydra/gateway-client/node';

export interface Hello {
  user_id?: string;
  session_id?: string;
  /** Without session_id: a new session, or (the default) the user's default one. */
  create_new_session?: boolean;
  /** Default none (the package's own default, approvals, is what the apps can answer). */
  capabilities?: string[];
}

export interface HelloClient {
  client: GatewayClient;
  inbox: FrameInbox;
  ack: HelloAck;
}

/** Connects to `url` with `token` and says hello; rejects with the client's GatewayConnectError. */
export async function helloClient(url: string, hello: Hello, token: string): Promise<HelloClient> {
  const client = new GatewayClient({
    url,
    openSocket: nodeSocket(token, 5_000),
    codec: checkedCodec,
    idPrefix: 'test',
    userId: hello.user_id,
    sessionId: hello.session_id,
    newSession: hello.create_new_session ?? false,
    capabilities: hello.capabilities ?? [],
    reconnect: false,
    helloTimeoutMs: 5_000,
    healthIntervalMs: 2 ** 31 - 1,
  });
  const inbox = new FrameInbox(client);
  const ack = await client.connect();
  return { client, inbox, ack };
}
