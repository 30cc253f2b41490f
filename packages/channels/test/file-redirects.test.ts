/**
 * A platform's file URL that redirects (to an internal address, a metadata service) is not
 * followed by any adapter: on real sockets, a server answering every download with a 302 to a
 * second server, which must never be asked (and never be sent the bot token).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { DiscordChannel } from '../src/discord/adapter.js';
import { downloadSlackFile } from '../src/slack/download.js';
import { TelegramChannel } from '../src/telegram/adapter.js';

const TOKEN = '123456:redirect-test-token';
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(
  handle: (req: IncomingMessage, reply: (status: number, headers: object, body?: string) => void) => void,
) {
  const server = createServer((req, res) =>
    handle(req, (status, headers, body) =>
      res.writeHead(status, headers as Record<string, string>).end(body),
    ),
  );
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The internal address the redirect points at, and what it was asked. */
async function internal() {
  const asked: IncomingMessage[] = [];
  const origin = await serve((req, reply) => {
    asked.push(req);
    reply(200, { 'content-type': 'text/plain' }, 'secret metadata');
  });
  return { target: `${origin}/latest/meta-data`, asked };
}

it('Telegram, Slack and Discord downloads refuse a redirect and never ask where it points', async () => {
  const { target, asked } = await internal();
  const api = await serve((req, reply) => {
    // Telegram's getFile answers; every file download is a redirect.
    if (req.url?.endsWith('/getFile'))
      reply(
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({ ok: true, result: { file_id: 'f', file_path: 'documents/a.txt' } }),
      );
    else reply(302, { location: target });
  });
  const signal = AbortSignal.timeout(5000);

  const telegram = new TelegramChannel({
    name: 'telegram',
    token: TOKEN,
    apiRoot: api,
    pollingTimeoutSecs: 1,
    maxMessageLength: 4096,
  });
  await expect(telegram.fetchAttachment({ id: 'f', kind: 'document' }, 1000, signal)).rejects.toThrow();

  await expect(
    downloadSlackFile(`${api}/files-pri/T1-F1/a.txt`, {
      id: 'F1',
      token: 'xoxb-redirect-test',
      allowedOrigins: [api],
      maxBytes: 1000,
      signal,
      scrub: (text) => text,
    }),
  ).rejects.toThrow(/downloading file F1/);

  const discord = new DiscordChannel({
    name: 'discord',
    token: TOKEN,
    apiUrl: api,
    maxMessageLength: 2000,
    senderIds: [],
  });
  await expect(
    discord.fetchAttachment({ id: `${api}/attachments/1/2/a.txt`, kind: 'document' }, 1000, signal),
  ).rejects.toThrow(/Discord CDN/);
  await discord.close();
  await telegram.close();

  expect(asked).toHaveLength(0);
});
