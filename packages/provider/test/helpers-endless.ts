/**
 * Real HTTP servers on loopback whose answer never ends (or ends only far past any bound under
 * test), for the tests of what a server's answer may make us read. Close them with
 * `afterEach(closeEndlessServers)`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Every server started here (and any a test adds), closed by closeEndlessServers. */
export const servers: Server[] = [];

export async function closeEndlessServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export interface Endless {
  base: string;
  /** Resolves with the bytes sent once the connection has closed. */
  closed: Promise<number>;
}

/** More than loopback send and receive buffers hold between the server's writes and the reader. */
export const SOCKET_SLACK_BYTES = 32 * 1024 * 1024;

/**
 * A server answering `status` with a body that does not end: `head`, then `repeat` x 35 bytes of
 * words every 1 ms the socket is not full. With `stopAfter`, the body ends once that much was sent
 * (so code that reads a body whole finishes and fails its test, instead of filling the memory).
 */
export async function endlessAnswer(
  status: number,
  head: string,
  contentType = 'application/json',
  repeat = 400,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<Endless> {
  let closedWith: (sent: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    closedWith = resolve;
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': contentType });
    let sent = 0;
    const write = (text: string) => {
      sent += Buffer.byteLength(text);
      res.write(text);
    };
    write(head);
    // Only what the socket takes: bytes queued in this process would count as sent.
    const timer = setInterval(() => {
      if (sent >= stopAfter) {
        clearInterval(timer);
        res.end();
      } else if (!res.writableNeedDrain) write('words of an answer that never ends '.repeat(repeat));
    }, 1);
    res.on('close', () => {
      clearInterval(timer);
      closedWith(sent);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed };
}
