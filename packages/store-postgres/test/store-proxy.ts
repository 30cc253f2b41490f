/**
 * A TCP proxy in front of the test server that a test cuts and restores: the store gone for a
 * while from one process (every connection through the proxy dropped, new ones dropped as they
 * come), while the server and the other processes' connections go on. Stores opened on `url`
 * go through it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { POSTGRES_URL } from './postgres-helpers.js';

export class StoreProxy {
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  readonly #upstream: URL;
  #cut = false;
  /** The test server's URL with the proxy's address in it (once open). */
  url = '';

  private constructor(target: string) {
    this.#upstream = new URL(target);
    this.#server = createServer((client) => this.#accept(client));
  }

  static async open(target = POSTGRES_URL): Promise<StoreProxy> {
    const proxy = new StoreProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(address.port);
    proxy.url = url.toString();
    return proxy;
  }

  /** The store is gone: every connection through the proxy drops, and every new one. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** The store is back: new connections go through. */
  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const server = connect(Number(this.#upstream.port || 5432), this.#upstream.hostname);
    for (const socket of [client, server]) {
      this.#sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        server.destroy();
      });
    }
    client.pipe(server);
    server.pipe(client);
  }
}
