/**
 * A loopback TCP relay in front of a real server, to give its clients the network's faults while
 * both ends stay real: cut every connection (a dropped Wi-Fi, a killed proxy), freeze them (a
 * network gone silent), stop listening (the server is down) and listen again on the same port
 * (it came back). Clients connect to the
 * link's port; bytes pass through unchanged.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpLink {
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<[Socket, Socket]>();
  #server: Server | undefined;
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** A link to `target` on a free loopback port (or `port`). */
  static async start(target: { host?: string; port: number }, port = 0): Promise<TcpLink> {
    const link = new TcpLink({ host: target.host ?? '127.0.0.1', port: target.port });
    await link.#listen(port);
    return link;
  }

  /** Relayed connections open now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Ends every relayed connection abruptly (no closing handshake reaches either end). */
  cut(): void {
    for (const [client, server] of this.#pairs) {
      client.destroy();
      server.destroy();
    }
    this.#pairs.clear();
  }

  /**
   * Stops passing bytes on every open connection without closing any (a network gone silent: no
   * reset, no close reaches either end); connections opened after pass as before.
   */
  freeze(): void {
    for (const [client, server] of this.#pairs) {
      client.unpipe(server);
      server.unpipe(client);
      client.pause();
      server.pause();
    }
  }

  /** Stops listening and cuts every connection: to clients, the server is gone. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  restart(): Promise<void> {
    return this.#listen(this.port);
  }

  #listen(port: number): Promise<void> {
    const server = createServer((client) => this.#relay(client));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  #relay(client: Socket): void {
    const server = connect(this.#target.port, this.#target.host);
    const pair: [Socket, Socket] = [client, server];
    this.#pairs.add(pair);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
    client.pipe(server);
    server.pipe(client);
  }
}
