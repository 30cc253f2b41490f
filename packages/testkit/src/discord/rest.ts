/**
 * The fake Discord's REST API (v10, under /api/v10) and CDN (/cdn/attachments), as fake-discord.ts
 * serves them: users/@me, gateway/bot, users/@me/channels (a DM channel), channels/{id}/messages
 * GET (after, limit; newest first) / POST (JSON or multipart with files; a nonce with enforce_nonce
 * sent again within a few minutes answers with the first message, not a new one) / PATCH, and interaction
 * callbacks. A wrong token is a 401; a failure a test queued answers the next matching call (a
 * 429 with retry_after and Retry-After).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FailureQueue, multipartForm, readBodyBytes, retryAfterHeader, sendJson } from '../fake-http.js';
import { type DiscordState, messageBase } from './state.js';
import type { DcCall, DcInteractionCallback, DcMessage, DcUser, FakeFile } from './types.js';

const MAX_CONTENT = 2000;
/** A message's nonce: at most 25 characters. */
const MAX_NONCE = 25;

/** A failure queued by failNext for the next call whose "METHOD /path" matches `route`. */
export interface DiscordFailure {
  route: RegExp;
  status: number;
  code: number;
  message: string;
  retryAfter?: number;
}

export class DiscordRest {
  readonly failures = new FailureQueue<DiscordFailure>();
  readonly #state: DiscordState;

  constructor(
    private readonly me: {
      token: string;
      bot: DcUser;
      calls: DcCall[];
      callbacks: DcInteractionCallback[];
      gatewayUrl: () => string;
    },
    state: DiscordState,
  ) {
    this.#state = state;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBodyBytes(req);
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      if (body !== undefined) sendJson(res, status, body, headers);
      else if (!res.writableEnded) res.writeHead(status, headers).end();
    };
    if (url.pathname.startsWith('/cdn/attachments/')) return this.#download(url.pathname, res);
    const match = /^\/api\/v10(\/.*)$/.exec(url.pathname);
    if (!match) return answer(404, { message: '404: Not Found', code: 0 });
    // discord.js escapes "@" in "users/@me" as %40.
    const path = decodeURIComponent(match[1]!);
    const method = req.method ?? 'GET';
    const { body, files } = await parseRequest(raw, req.headers['content-type'] ?? '');
    const call: DcCall = { method, path: `${path}${url.search}`, body, status: 200 };
    this.me.calls.push(call);
    const fail = (status: number, code: number, message: string, extra: Record<string, unknown> = {}) => {
      call.status = status;
      answer(status, { message, code, ...extra });
    };
    const interaction = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (!interaction && req.headers.authorization !== `Bot ${this.me.token}`)
      return fail(401, 0, '401: Unauthorized');
    const f = this.failures.take((queued) => queued.route.test(`${method} ${path}`));
    if (f) {
      if (f.status === 429) {
        const after = f.retryAfter ?? 1;
        call.status = 429;
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: after, global: false, code: 0 },
          { ...retryAfterHeader(after), 'x-ratelimit-scope': 'user' },
        );
      }
      return fail(f.status, f.code, f.message);
    }
    const ok = (result: unknown) => answer(200, result);
    if (method === 'GET' && path === '/users/@me') return ok(this.me.bot);
    if (method === 'GET' && path === '/gateway/bot') {
      return ok({
        url: this.me.gatewayUrl(),
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = String((body as { recipient_id?: unknown }).recipient_id ?? '');
      if (!/^\d+$/.test(recipient)) return fail(400, 50035, 'Invalid Form Body');
      return ok({ id: this.#state.dmChannel(recipient), type: 1, recipients: [{ id: recipient }] });
    }
    if (interaction) {
      const [, id, token] = interaction as unknown as [string, string, string];
      if (this.#state.interactions.get(id) !== token) return fail(404, 10062, 'Unknown interaction');
      this.#state.interactions.delete(id); // an interaction is answered once
      const { type, data } = body as { type: number; data?: unknown };
      this.me.callbacks.push({ interactionId: id, type, ...(data !== undefined ? { data } : {}) });
      call.status = 204;
      return answer(204);
    }
    const messages = /^\/channels\/(\d+)\/messages(?:\/(\d+))?$/.exec(path);
    if (!messages) return fail(404, 0, '404: Not Found');
    const [, channelId, messageId] = messages as unknown as [string, string, string | undefined];
    if (method === 'GET' && messageId === undefined) {
      const after = BigInt(url.searchParams.get('after') ?? '0');
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 50)));
      // The `limit` messages right after `after`, newest first (as Discord answers).
      const found = this.#state
        .history(channelId)
        .filter((m) => BigInt(m.id) > after)
        .slice(0, limit)
        .reverse();
      return ok(found);
    }
    if (method === 'POST' && messageId === undefined) {
      const b = body as {
        content?: string;
        components?: unknown[];
        allowed_mentions?: unknown;
        flags?: number;
        nonce?: string | number;
        enforce_nonce?: boolean;
      };
      const nonce = b.nonce === undefined ? undefined : String(b.nonce);
      if (nonce !== undefined && nonce.length > MAX_NONCE) return fail(400, 50035, 'Invalid Form Body');
      if (nonce !== undefined && b.enforce_nonce === true) {
        const earlier = this.#state.nonced(channelId, this.me.bot.id, nonce);
        if (earlier) return ok(earlier);
      }
      const content = b.content ?? '';
      if (content.trim() === '' && files.length === 0)
        return fail(400, 50006, 'Cannot send an empty message');
      if (content.length > MAX_CONTENT) return fail(400, 50035, 'Invalid Form Body');
      const message: DcMessage = {
        ...messageBase(this.#state.snowflake(), channelId, this.me.bot),
        content,
        attachments: files.map((file) => this.#state.attach(channelId, file)),
        ...(b.components ? { components: b.components } : {}),
        ...(b.flags !== undefined ? { flags: b.flags } : {}),
        ...(b.nonce !== undefined ? { nonce: b.nonce } : {}),
      };
      this.#state.history(channelId).push(message);
      if (nonce !== undefined) this.#state.rememberNonce(channelId, this.me.bot.id, nonce, message.id);
      this.#state.sent.set(message.id, {
        channelId,
        id: message.id,
        content,
        history: [content],
        files,
        ...(b.components ? { components: b.components } : {}),
        ...(b.allowed_mentions !== undefined ? { allowedMentions: b.allowed_mentions } : {}),
        ...(b.flags !== undefined ? { flags: b.flags } : {}),
      });
      return ok(message);
    }
    if (method === 'PATCH' && messageId !== undefined) {
      const sent = this.#state.sent.get(messageId);
      const message = this.#state.history(channelId).find((m) => m.id === messageId);
      if (!sent || !message || sent.channelId !== channelId) return fail(404, 10008, 'Unknown Message');
      const content = String((body as { content?: unknown }).content ?? '');
      if (content.length > MAX_CONTENT) return fail(400, 50035, 'Invalid Form Body');
      sent.content = content;
      sent.history.push(content);
      message.content = content;
      message.edited_timestamp = new Date().toISOString();
      return ok(message);
    }
    return fail(405, 0, '405: Method Not Allowed');
  }

  #download(pathname: string, res: ServerResponse): void {
    const key = decodeURIComponent(pathname.slice('/cdn/attachments/'.length));
    const file = this.#state.files.get(key);
    this.me.calls.push({ method: 'GET', path: pathname, body: undefined, status: file ? 200 : 404 });
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': file.contentType ?? 'application/octet-stream',
      'content-length': String(file.bytes.byteLength),
    });
    res.end(Buffer.from(file.bytes));
  }
}

/** A JSON body, or a multipart form (payload_json and files[n]) read with the platform's own parser. */
async function parseRequest(raw: Buffer, type: string): Promise<{ body: unknown; files: FakeFile[] }> {
  if (raw.byteLength === 0) return { body: {}, files: [] };
  if (type.includes('application/json')) return { body: JSON.parse(raw.toString('utf8')), files: [] };
  if (!type.includes('multipart/form-data')) return { body: {}, files: [] };
  const form = await multipartForm(raw, type);
  const payload = form.get('payload_json');
  const files: FakeFile[] = [];
  for (const [field, value] of form.entries()) {
    if (!/^files\[\d+\]$/.test(field) || typeof value === 'string') continue;
    files.push({
      name: value.name,
      bytes: new Uint8Array(await value.arrayBuffer()),
      ...(value.type ? { contentType: value.type } : {}),
    });
  }
  return { body: typeof payload === 'string' ? JSON.parse(payload) : {}, files };
}
