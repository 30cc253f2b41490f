/**
 * A hostile Streamable HTTP MCP server in raw JSON-RPC over node:http (the SDK's server would
 * not misbehave this way): it answers initialize and tools/list correctly, and tools/call, or
 * any method, with what the test hands it. `sent` counts the bytes a huge answer got out before
 * the client stopped reading; `requests` records what the client sent.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Id = string | number;
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: Id;
  method?: string;
  params?: Record<string, unknown>;
}

/** Writes the answer to `message` itself (a request with an id). */
export type Responder = (message: JsonRpcRequest & { id: Id }, response: ServerResponse) => void;

export interface HostileHttp {
  url: string;
  /** Bytes of the current huge answer written so far. */
  sent(): number;
  requests: { headers: IncomingHttpHeaders; message: JsonRpcRequest }[];
  close(): Promise<void>;
}

const MB = 1 << 20;

export const TOOLS = [
  { name: 'big', description: 'Answers with whatever the test says', inputSchema: { type: 'object' } },
];

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * A body of `megabytes` MiB of "x" between `head` and `tail`, written as fast as the client
 * reads; `count` is told each MiB written.
 */
export function pump(
  response: ServerResponse,
  contentType: string,
  head: string,
  megabytes: number,
  tail: string,
  count: (bytes: number) => void,
): void {
  const chunk = 'x'.repeat(MB);
  response.writeHead(200, { 'content-type': contentType });
  response.write(head);
  let written = 0;
  const more = () => {
    while (written < megabytes) {
      written++;
      count(MB);
      if (!response.write(chunk)) {
        response.once('drain', more);
        return;
      }
    }
    response.end(tail);
  };
  response.on('error', () => {});
  more();
}

/** A JSON-RPC result whose text content is `megabytes` MiB long, as one JSON body. */
export const hugeJson =
  (megabytes: number, count: (bytes: number) => void): Responder =>
  (message, response) =>
    pump(
      response,
      'application/json',
      `{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"text","text":"`,
      megabytes,
      '"}]}}',
      count,
    );

/** The same result as one SSE event. */
export const hugeEvent =
  (megabytes: number, count: (bytes: number) => void): Responder =>
  (message, response) =>
    pump(
      response,
      'text/event-stream',
      `event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"text","text":"`,
      megabytes,
      '"}]}}\n\n',
      count,
    );

/**
 * `count` progress notifications for the call, each with `message` (its index in place of
 * `#`), as SSE events, then the result "done".
 */
export const progressFlood =
  (count: number, message: string): Responder =>
  (request, response) => {
    const token = (request.params?._meta as { progressToken?: Id } | undefined)?.progressToken;
    const event = (body: unknown) => `event: message\ndata: ${JSON.stringify(body)}\n\n`;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < count; i++) {
      response.write(
        event({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, message: message.replace('#', String(i)) },
        }),
      );
    }
    response.end(
      event({ jsonrpc: '2.0', id: request.id, result: { content: [{ type: 'text', text: 'done' }] } }),
    );
  };

export async function hostileHttp(
  answer: (sent: (bytes: number) => void) => Partial<Record<string, Responder>>,
): Promise<HostileHttp> {
  let sent = 0;
  const answers = answer((bytes) => {
    sent += bytes;
  });
  const requests: HostileHttp['requests'] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      if (request.method !== 'POST') {
        response.writeHead(405).end();
        return;
      }
      const message = JSON.parse(body) as JsonRpcRequest;
      requests.push({ headers: request.headers, message });
      if (message.id === undefined || message.method === undefined) {
        response.writeHead(202).end();
        return;
      }
      const own = answers[message.method];
      if (own) {
        own(message as JsonRpcRequest & { id: Id }, response);
        return;
      }
      const result =
        message.method === 'initialize'
          ? {
              protocolVersion: message.params?.protocolVersion ?? '2025-06-18',
              capabilities: { tools: {} },
              serverInfo: { name: 'hostile-http', version: '1.0.0' },
            }
          : message.method === 'tools/list'
            ? { tools: TOOLS }
            : message.method === 'ping'
              ? {}
              : undefined;
      if (result === undefined) {
        json(response, {
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32601, message: 'no such method' },
        });
        return;
      }
      json(response, { jsonrpc: '2.0', id: message.id, result });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sent: () => sent,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}
