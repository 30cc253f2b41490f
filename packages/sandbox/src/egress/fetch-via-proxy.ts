/**
 * The client half of the egress proxy for a whole Node process: every `fetch` of this process
 * goes through the proxy's Unix socket as a CONNECT tunnel (TLS inside it for https), so a
 * process with no network of its own (a container guest under `--network none`) still reaches
 * the hosts the proxy allows, and nothing else. Node 20's fetch ignores HTTP(S)_PROXY and its
 * undici is not importable, so the undici Agent class is taken from fetch's own global
 * dispatcher and a new one, with a `connect` that tunnels, replaces it.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where undici (Node's fetch) keeps the dispatcher every fetch uses. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const MAX_PROXY_ANSWER_BYTES = 8192;

interface ConnectOptions {
  hostname: string;
  port: string | number;
  protocol: string;
  servername?: string | null;
}
type ConnectCallback = (error: Error | null, socket: Socket | null) => void;
type AgentClass = new (options: {
  connect: (options: ConnectOptions, done: ConnectCallback) => void;
}) => object;

/** Opens a CONNECT tunnel to host:port through the proxy socket; resolves with the raw socket. */
export function tunnel(socketPath: string, host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(socketPath);
    let answer = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
    });
    const onData = (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (answer.length > MAX_PROXY_ANSWER_BYTES) fail(new Error('the egress proxy answered garbage'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', fail);
      const head = answer.subarray(0, end).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      if (status !== '200') {
        const body = answer
          .subarray(end + 4)
          .toString('utf8')
          .trim();
        fail(new Error(body || `the egress proxy refused ${host}:${port} (${head.split('\r\n')[0]})`));
        return;
      }
      // A tunnel's first bytes come from the server, after our request: none can be here yet.
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/**
 * Routes every later `fetch` of this process through the proxy at `socketPath`. Returns false
 * when this Node's fetch has no replaceable dispatcher (then nothing changed: with no network,
 * fetches fail, closed).
 */
export async function routeFetchThroughProxy(socketPath: string): Promise<boolean> {
  const slot = globalThis as unknown as Record<symbol, unknown>;
  // fetch creates its dispatcher on first use; a data: URL touches no network.
  await (await fetch('data:,')).arrayBuffer();
  const Agent = (slot[GLOBAL_DISPATCHER] as { constructor?: AgentClass } | undefined)?.constructor;
  if (typeof Agent !== 'function') return false;
  slot[GLOBAL_DISPATCHER] = new Agent({
    connect(options, done) {
      const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
      tunnel(socketPath, options.hostname, port).then(
        (raw) => {
          if (options.protocol !== 'https:') return done(null, raw);
          const name = options.servername || options.hostname;
          const secure = tlsConnect({
            socket: raw,
            // SNI is for names only: an address is checked against the certificate, not sent.
            ...(isIP(name) === 0 ? { servername: name } : {}),
            host: options.hostname,
            ALPNProtocols: ['http/1.1'],
          });
          const failed = (error: Error) => done(error, null);
          secure.once('error', failed);
          secure.once('secureConnect', () => {
            secure.off('error', failed);
            done(null, secure);
          });
        },
        (error: Error) => done(error, null),
      );
    },
  });
  return true;
}
