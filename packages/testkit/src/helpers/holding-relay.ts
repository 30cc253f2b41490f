/**
 * An HTTP relay in front of a mock server that holds chosen requests before passing them on:
 * an embedding server that answers late (after the kernel began closing) or never. Requests
 * `hold` returns no promise for pass through at once, streams included.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingRelay {
  /** The relay's base URL, with the target's path (e.g. http://127.0.0.1:PORT/v1). */
  url: string;
  close(): void;
}

const bodyOf = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** A relay to `target`; a request is passed on once the promise `hold(path, body)` gives settles. */
export async function holdingRelay(
  target: string,
  hold: (path: string, body: string) => Promise<void> | undefined,
): Promise<HoldingRelay> {
  const upstream = new URL(target);
  const server: Server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    await hold(req.url ?? '/', body.toString());
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    forward.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname.replace(/\/$/, '')}`,
    close: () => server.close(),
  };
}
