import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectTarget, Resolver } from '../src/web/safe-fetch.js';

export interface LocalServer {
  port: number;
  /** Requests seen: method, path, Host header and body. */
  seen: { method: string; url: string; host: string; body: string }[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export async function localServer(handler: Handler): Promise<LocalServer> {
  const seen: LocalServer['seen'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const PUBLIC_IP = '93.184.216.34';

/** example.test (and friends) resolve to a public address; anything else fails. */
export function fakeResolver(table: Record<string, readonly string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<readonly string[]> => {
    calls.push(host);
    const answer = table[host];
    if (!answer) throw new Error(`ENOTFOUND ${host}`);
    return answer;
  };
  return Object.assign(resolve, { calls });
}

/** Sends the checked public address to the local server; records what was checked. */
export function toLocal(port: number): ((t: ConnectTarget) => ConnectTarget) & { targets: ConnectTarget[] } {
  const targets: ConnectTarget[] = [];
  const connect = (target: ConnectTarget): ConnectTarget => {
    targets.push(target);
    return { address: '127.0.0.1', family: 4, port };
  };
  return Object.assign(connect, { targets });
}
