/**
 * The official MCP SDK client connected to a gateway's /mcp, returned once its session is live.
 * The SDK opens its GET stream (what makes a session live: never replaced, counted as busy)
 * after `connect` resolves, without awaiting it; a test that counts live sessions right after
 * connecting raced that GET and, on a loaded machine, found the session still idle.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface McpConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/** Connects with `token` (none: no authorization header) and waits for the session's GET stream. */
export async function connectLiveMcp(gatewayUrl: string, token: string | undefined): Promise<McpConnection> {
  let streamOpened!: (status: number) => void;
  const stream = new Promise<number>((resolve) => {
    streamOpened = resolve;
  });
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      if ((init?.method ?? 'GET') === 'GET') streamOpened(response.status);
      return response;
    },
  });
  const client = new Client({ name: 'gateway-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  const status = await stream;
  if (status !== 200) throw new Error(`the MCP session's GET stream was answered ${status}, not 200`);
  return { client, transport };
}
