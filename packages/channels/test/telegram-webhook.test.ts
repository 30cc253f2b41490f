/**
 * The Telegram webhook server (telegram/webhook.ts) on a real socket: Telegram's request for an
 * update is answered only once the host acknowledged it (stored), a redelivery of a stored one
 * at once; a wrong secret, another path and an oversized body are refused before any update.
 */
import { getEventListeners, once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL_PLATFORMS } from '../src/platforms.js';
import { MAX_WEBHOOK_BODY_BYTES, TelegramWebhookServer } from '../src/telegram/webhook.js';

const SECRET = 'the-secret';
let server: TelegramWebhookServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<TelegramWebhookServer> {
  server = new TelegramWebhookServer({ path: '/hook', host: '127.0.0.1', port: 0, secret: SECRET });
  await server.listen();
  return server;
}

/** POSTs `body`; resolves with the status, or the error code when the connection is cut. */
function post(port: number, body: string, secret = SECRET, path = '/hook'): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'x-telegram-bot-api-secret-token': secret, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

const update = (id: number) => JSON.stringify({ update_id: id, message: { message_id: id, text: 'hi' } });

describe('Telegram webhook server', () => {
  it('answers an update only once it is acknowledged; a redelivery of a stored one at once', async () => {
    const hook = await start();
    let answered: number | string | undefined;
    const first = post(hook.port, update(7)).then((status) => (answered = status));
    const taken = await hook.take(undefined, new AbortController().signal);
    expect(taken.map((u) => u.update_id)).toEqual([7]);
    // Taken but not stored: Telegram has no answer (a crash now has it delivered again).
    expect(answered).toBeUndefined();
    hook.acknowledge('7');
    expect(await first).toBe(200);
    // Delivered again (Telegram never saw the 200): stored already, so answered without a take.
    expect(await post(hook.port, update(7))).toBe(200);
    expect(await post(hook.port, update(5))).toBe(200);
  });

  it('a wait ended by an update leaves no listener on the signal it was given', async () => {
    const hook = await start();
    const closing = new AbortController();
    for (const id of [1, 2, 3]) {
      const taken = hook.take(id > 1 ? String(id - 1) : undefined, closing.signal);
      const answered = post(hook.port, update(id));
      expect((await taken).map((u) => u.update_id)).toEqual([id]);
      hook.acknowledge(String(id));
      expect(await answered).toBe(200);
    }
    expect(getEventListeners(closing.signal, 'abort')).toHaveLength(0);
  });

  it('a request cut in the middle of its body does not reject unhandled (which ends the process)', async () => {
    const hook = await start();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      // The secret's request (Telegram's, or a proxy's) whose connection drops after a few bytes.
      const socket = connect(hook.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        `POST /hook HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\r\nContent-Length: 1000\r\n\r\n{"update_id":`,
      );
      await new Promise((resolve) => socket.write('', resolve));
      socket.destroy();
      // The server goes on: the next update is taken and answered.
      const next = post(hook.port, update(8));
      expect((await hook.take(undefined, new AbortController().signal)).map((u) => u.update_id)).toEqual([8]);
      hook.acknowledge('8');
      expect(await next).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('refuses a wrong secret, another path, a body that is not an update, and an oversized body', async () => {
    const hook = await start();
    expect(await post(hook.port, update(1), 'wrong')).toBe(401);
    expect(await post(hook.port, update(1), `${SECRET}x`)).toBe(401);
    expect(await post(hook.port, update(1), SECRET, '/other')).toBe(404);
    expect(await post(hook.port, '{"not": "an update"}')).toBe(400);
    const big = JSON.stringify({ update_id: 2, message: { text: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) } });
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(await post(hook.port, big));
    // Nothing of these reached the host.
    const controller = new AbortController();
    const waiting = hook.take(undefined, controller.signal);
    controller.abort();
    expect(await waiting).toEqual([]);
  });
});

describe('the webhook secret', () => {
  const section = agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    channels: {
      telegram: {
        enabled: true,
        mode: 'webhook',
        bot_token_env: 'TG_TOKEN',
        webhook_url: 'https://bot.example/hook',
        secret_token_env: 'TG_SECRET',
      },
    },
  }).channels.telegram;
  const open = (secret: string) =>
    CHANNEL_PLATFORMS.telegram.open('telegram', section, { TG_TOKEN: '1:token', TG_SECRET: secret });

  it('is refused when short enough to guess: a forged update could carry the owner id', async () => {
    // Telegram itself takes 1-256 characters.
    for (const secret of ['a', 'abc', 'fifteen-chars15'])
      await expect(open(secret)).rejects.toThrow(/TG_SECRET, whose value is \d+ characters: too short/);
    await expect(open('sixteen-chars-16')).resolves.toMatchObject({ name: 'telegram' });
    await expect(open('x'.repeat(300))).rejects.toThrow(/whose value Telegram refuses/);
  });
});
