/**
 * A fake of the Telegram Bot API (https://core.telegram.org/bots/api) on node:http, for testing a
 * bot offline through its real client library (grammY's `apiRoot` points at `url`). It answers
 * what a long-polling bot calls, in the published shapes: getMe, deleteWebhook, getUpdates (offset
 * confirms earlier updates, timeout long-polls, a second poll ends the first with 409),
 * sendMessage, editMessageText ("message is not modified", "message to edit not found") and
 * answerCallbackQuery; files as the Bot API serves them: a message may carry a document or a photo,
 * getFile gives its file_path, GET /file/bot<token>/<file_path> its bytes, and sendDocument takes
 * a multipart upload. setWebhook switches to pushing: each update is POSTed to the URL with the
 * secret token header, one at a time, again until it is answered 2xx (getUpdates then answers
 * 409, as Telegram does); deleteWebhook switches back. Anything else is 404 "Not Found", a wrong token 401 "Unauthorized". A test
 * plays the people (`message`, `press`), reads what the bot sent (`sent`, `calls`) and makes calls
 * fail (`failNext`, e.g. a 429 with retry_after). Each call carries when it arrived (`at`) and each
 * update when getUpdates first handed it out (`deliveredAt`), so a bench can time a message.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBodyBytes } from '../http-body.js';
import type {
  TgCall,
  TgChat,
  TgDocument,
  TgEntity,
  TgMessage,
  TgSentMessage,
  TgUpdate,
  TgUser,
} from './types.js';

export type * from './types.js';

export interface FakeBotApiOptions {
  /** The token the bot must use; default "123456:TEST-token". */
  token?: string;
  /** The bot's username (without @); default "oxydra_test_bot". */
  username?: string;
}

/** A person writing to the bot. */
export interface FakeMessage {
  from: { id: number; first_name?: string; username?: string };
  text: string;
  /** Default: the sender's private chat with the bot. */
  chat?: { id: number; type: 'private' | 'group' | 'supergroup'; title?: string };
  /** A reply to this message of the chat (its message_id). */
  replyTo?: number;
  /** Mark "@<bot>" in the text as a mention entity (groups). */
  mentionBot?: boolean;
  /** An edit of an earlier message (its message_id) instead of a new one. */
  edits?: number;
  /** A file sent with it (`text` is then its caption): a document, or a photo (JPEG bytes). */
  file?: { bytes: Uint8Array; kind?: 'document' | 'photo'; fileName?: string; mimeType?: string };
}

interface Waiter {
  offset: number;
  limit: number;
  finish: (status: number, body: unknown) => void;
}

const MAX_TEXT = 4096;

export class FakeBotApi {
  readonly token: string;
  readonly bot: TgUser;
  /** Every call the bot made, in order. */
  readonly calls: TgCall[] = [];
  /** Each button press the bot acknowledged (answerCallbackQuery), with the note it showed. */
  readonly answers: { id: string; text?: string }[] = [];
  /** Presses not yet acknowledged (a second answerCallbackQuery of one is refused). */
  readonly #queries = new Set<string>();
  readonly #updates: TgUpdate[] = [];
  readonly #sent = new Map<string, TgSentMessage>();
  readonly #received = new Map<string, TgMessage>();
  readonly #nextMessageId = new Map<number, number>();
  readonly #failures: { method: string; code: number; description: string; retryAfter?: number }[] = [];
  /** Files people sent, by file_id: what getFile and the download route serve. */
  readonly #files = new Map<string, { path: string; bytes: Uint8Array }>();
  /** Every file download the bot made (file paths). */
  readonly downloads: string[] = [];
  /** Webhook mode: every POST of an update to the webhook, with the status it got (0: no answer). */
  readonly deliveries: { updateId: number; status: number }[] = [];
  #webhook: { url: string; secret?: string } | undefined;
  #delivering = false;
  #closed = false;
  readonly #deliveredAt = new Map<number, number>();
  #nextUpdateId = 1;
  #confirmed = 0;
  #waiter: Waiter | undefined;
  #server = createServer((req, res) => void this.#handle(req, res));
  url = '';

  private constructor(options: FakeBotApiOptions) {
    this.token = options.token ?? '123456:TEST-token';
    this.bot = {
      id: Number(this.token.split(':')[0]),
      is_bot: true,
      first_name: 'Test bot',
      username: options.username ?? 'oxydra_test_bot',
    };
  }

  /** Starts the fake on 127.0.0.1 (a free port); `url` is the apiRoot to give the bot. */
  static async start(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
    const api = new FakeBotApi(options);
    api.#server.listen(0, '127.0.0.1');
    await once(api.#server, 'listening');
    api.url = `http://127.0.0.1:${(api.#server.address() as AddressInfo).port}`;
    return api;
  }

  /** A person sends a message (or an edit); resolves with its update_id. */
  message(input: FakeMessage): { updateId: number; messageId: number } {
    const from: TgUser = {
      id: input.from.id,
      is_bot: false,
      first_name: input.from.first_name ?? `User ${input.from.id}`,
      ...(input.from.username ? { username: input.from.username } : {}),
    };
    const chat: TgChat = input.chat ?? { id: input.from.id, type: 'private', first_name: from.first_name };
    const messageId = input.edits ?? this.#messageId(chat.id);
    const entities: TgEntity[] = [];
    const handle = `@${this.bot.username}`;
    if (input.mentionBot && input.text.includes(handle))
      entities.push({ type: 'mention', offset: input.text.indexOf(handle), length: handle.length });
    const command = /^\/[A-Za-z]+(@\w+)?/.exec(input.text);
    if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
    const replied =
      input.replyTo !== undefined
        ? (this.#sent.get(`${chat.id}:${input.replyTo}`) ?? this.#received.get(`${chat.id}:${input.replyTo}`))
        : undefined;
    const media = input.file ? this.#media(input.file) : {};
    const message: TgMessage = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from,
      ...(input.file ? { caption: input.text } : { text: input.text }),
      ...media,
      ...(entities.length > 0 ? { [input.file ? 'caption_entities' : 'entities']: entities } : {}),
      ...(replied ? { reply_to_message: 'history' in replied ? this.#asMessage(replied) : replied } : {}),
      ...(input.edits !== undefined ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
    };
    this.#received.set(`${chat.id}:${messageId}`, message);
    const updateId = this.#push(input.edits !== undefined ? { edited_message: message } : { message });
    return { updateId, messageId };
  }

  /** Registers a file people sent; the message field that carries it (document, or photo sizes). */
  #media(file: NonNullable<FakeMessage['file']>): Pick<TgMessage, 'document' | 'photo'> {
    const id = `file-${this.#files.size + 1}`;
    const uniqueId = `u${id}`;
    const kind = file.kind ?? 'document';
    this.#files.set(id, {
      path: `${kind === 'photo' ? 'photos' : 'documents'}/${id}.${kind === 'photo' ? 'jpg' : 'bin'}`,
      bytes: file.bytes,
    });
    const size = file.bytes.length;
    if (kind === 'photo')
      return { photo: [{ file_id: id, file_unique_id: uniqueId, width: 90, height: 90, file_size: size }] };
    const document: TgDocument = {
      file_id: id,
      file_unique_id: uniqueId,
      file_size: size,
      ...(file.fileName !== undefined ? { file_name: file.fileName } : {}),
      ...(file.mimeType !== undefined ? { mime_type: file.mimeType } : {}),
    };
    return { document };
  }

  /**
   * A person presses a button under a message the bot sent; resolves with the update_id. The
   * callback_query's id is `cq-<update_id>` (what answerCallbackQuery must name).
   */
  press(input: {
    from: { id: number; first_name?: string };
    chatId: number;
    messageId: number;
    data: string;
  }): number {
    const sent = this.#sent.get(`${input.chatId}:${input.messageId}`);
    const id = `cq-${this.#nextUpdateId}`;
    this.#queries.add(id);
    return this.#push({
      callback_query: {
        id,
        from: {
          id: input.from.id,
          is_bot: false,
          first_name: input.from.first_name ?? `User ${input.from.id}`,
        },
        ...(sent ? { message: this.#asMessage(sent) } : {}),
        chat_instance: String(input.chatId),
        data: input.data,
      },
    });
  }

  /** The next call of `method` fails with this Bot API error (e.g. 429 with retry_after seconds). */
  failNext(method: string, error: { code: number; description: string; retryAfter?: number }): void {
    this.#failures.push({ method, ...error });
  }

  /** Every message the bot sent, oldest first (edits applied; `history` has every text). */
  sent(chatId?: number): TgSentMessage[] {
    return [...this.#sent.values()].filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** The highest update_id the bot has confirmed (by asking getUpdates for a later offset). */
  get confirmed(): number {
    return this.#confirmed;
  }

  /** When getUpdates first handed out this update (`performance.now()`); undefined if not yet. */
  deliveredAt(updateId: number): number | undefined {
    return this.#deliveredAt.get(updateId);
  }

  /** Updates not yet confirmed: what getUpdates would still return. */
  get pendingUpdates(): number {
    return this.#updates.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#waiter?.finish(200, { ok: true, result: [] });
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close').catch(() => {});
  }

  #messageId(chatId: number): number {
    const next = (this.#nextMessageId.get(chatId) ?? 0) + 1;
    this.#nextMessageId.set(chatId, next);
    return next;
  }

  #push(update: Omit<TgUpdate, 'update_id'>): number {
    const full = { update_id: this.#nextUpdateId++, ...update } as TgUpdate;
    this.#updates.push(full);
    if (this.#webhook) {
      void this.#deliver();
      return full.update_id;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.finish(200, { ok: true, result: this.#take(waiter.offset, waiter.limit) });
    }
    return full.update_id;
  }

  /** getUpdates' answer: an offset confirms (forgets) every update before it. */
  #take(offset: number, limit: number): TgUpdate[] {
    if (offset > 0) {
      while (this.#updates.length > 0 && this.#updates[0]!.update_id < offset) this.#updates.shift();
      this.#confirmed = Math.max(this.#confirmed, offset - 1);
    }
    const batch = this.#updates.slice(0, limit);
    const now = performance.now();
    for (const update of batch)
      if (!this.#deliveredAt.has(update.update_id)) this.#deliveredAt.set(update.update_id, now);
    return batch;
  }

  #asMessage(sent: TgSentMessage): TgMessage {
    return {
      message_id: sent.messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: sent.chatId, type: sent.chatId < 0 ? 'supergroup' : 'private' },
      from: this.bot,
      text: sent.text,
      ...(sent.threadId !== undefined ? { message_thread_id: sent.threadId } : {}),
      ...(sent.replyMarkup !== undefined ? { reply_markup: sent.replyMarkup } : {}),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => {
      if (res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://fake');
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download && req.method === 'GET')
      return this.#download(download[1]!, decodeURIComponent(download[2]!), res);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const raw = await readBodyBytes(req);
    if (raw.length > 0) Object.assign(params, await parseBody(raw, req.headers['content-type'] ?? ''));
    if (!match) return answer(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match as unknown as [string, string, string];
    const call: TgCall = { method, params, ok: true, at: performance.now() };
    this.calls.push(call);
    const fail = (code: number, description: string, extra: Record<string, unknown> = {}) => {
      call.ok = false;
      call.errorCode = code;
      answer(code, { ok: false, error_code: code, description, ...extra });
    };
    if (token !== this.token) return fail(401, 'Unauthorized');
    const injected = this.#failures.findIndex((f) => f.method === method);
    if (injected >= 0) {
      const [f] = this.#failures.splice(injected, 1);
      return fail(
        f!.code,
        f!.description,
        f!.retryAfter !== undefined ? { parameters: { retry_after: f!.retryAfter } } : {},
      );
    }
    const ok = (result: unknown) => answer(200, { ok: true, result });
    switch (method) {
      case 'getMe':
        return ok(this.bot);
      case 'deleteWebhook':
        this.#webhook = undefined;
        return ok(true);
      case 'setWebhook': {
        const url = String(params.url ?? '');
        const secret = params.secret_token !== undefined ? String(params.secret_token) : undefined;
        if (!/^https?:\/\//.test(url))
          return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret))
          return fail(400, 'Bad Request: secret token contains unallowed characters');
        this.#webhook = { url, ...(secret !== undefined ? { secret } : {}) };
        ok(true);
        void this.#deliver();
        return;
      }
      case 'getUpdates':
        if (this.#webhook)
          return fail(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          );
        return this.#getUpdates(params, req, answer);
      case 'sendMessage': {
        const chatId = Number(params.chat_id);
        const text = String(params.text ?? '');
        if (!Number.isFinite(chatId)) return fail(400, 'Bad Request: chat not found');
        if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(400, 'Bad Request: message is too long');
        const sent: TgSentMessage = {
          chatId,
          messageId: this.#messageId(chatId),
          text,
          history: [text],
          ...(params.message_thread_id !== undefined ? { threadId: Number(params.message_thread_id) } : {}),
          ...(params.reply_markup !== undefined ? { replyMarkup: jsonOf(params.reply_markup) } : {}),
        };
        this.#sent.set(`${chatId}:${sent.messageId}`, sent);
        return ok(this.#asMessage(sent));
      }
      case 'editMessageText': {
        const sent = this.#sent.get(`${Number(params.chat_id)}:${Number(params.message_id)}`);
        const text = String(params.text ?? '');
        if (!sent) return fail(400, 'Bad Request: message to edit not found');
        if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(400, 'Bad Request: MESSAGE_TOO_LONG');
        if (text === sent.text) {
          return fail(
            400,
            'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
          );
        }
        sent.text = text;
        sent.history.push(text);
        // An edit without reply_markup removes the message's inline keyboard (as Telegram does).
        if (params.reply_markup !== undefined) sent.replyMarkup = jsonOf(params.reply_markup);
        else delete sent.replyMarkup;
        return ok(this.#asMessage(sent));
      }
      case 'answerCallbackQuery': {
        const id = String(params.callback_query_id ?? '');
        if (!this.#queries.has(id))
          return fail(
            400,
            'Bad Request: query is too old and response timeout expired or query ID is invalid',
          );
        this.#queries.delete(id);
        this.answers.push({ id, ...(params.text !== undefined ? { text: String(params.text) } : {}) });
        return ok(true);
      }
      case 'getFile': {
        const file = this.#files.get(String(params.file_id ?? ''));
        if (!file) return fail(400, 'Bad Request: invalid file_id');
        return ok({
          file_id: String(params.file_id),
          file_unique_id: `u${String(params.file_id)}`,
          file_size: file.bytes.length,
          file_path: file.path,
        });
      }
      case 'sendDocument': {
        const chatId = Number(params.chat_id);
        const document = params.document;
        if (!Number.isFinite(chatId)) return fail(400, 'Bad Request: chat not found');
        if (!isUpload(document)) return fail(400, 'Bad Request: there is no document in the request');
        const sent: TgSentMessage = {
          chatId,
          messageId: this.#messageId(chatId),
          text: String(params.caption ?? ''),
          history: [String(params.caption ?? '')],
          ...(params.message_thread_id !== undefined ? { threadId: Number(params.message_thread_id) } : {}),
          document: {
            fileName: document.fileName,
            ...(document.mimeType ? { mimeType: document.mimeType } : {}),
            bytes: document.bytes,
          },
        };
        this.#sent.set(`${chatId}:${sent.messageId}`, sent);
        return ok({
          ...this.#asMessage(sent),
          document: {
            file_id: `sent-${sent.messageId}`,
            file_unique_id: `usent-${sent.messageId}`,
            file_name: document.fileName,
          },
        });
      }
      default:
        return fail(404, 'Not Found');
    }
  }

  /**
   * Webhook mode: POSTs the oldest update until the webhook answers 2xx, then the next (Telegram
   * with max_connections 1); a refusal or no answer is tried again a little later.
   */
  async #deliver(): Promise<void> {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (this.#webhook && this.#updates.length > 0 && !this.#closed) {
        const update = this.#updates[0]!;
        const { url, secret } = this.#webhook;
        const status = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}),
          },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(60_000),
        }).then(
          async (response) => {
            await response.arrayBuffer().catch(() => {});
            return response.status;
          },
          () => 0,
        );
        this.deliveries.push({ updateId: update.update_id, status });
        if (status >= 200 && status < 300) {
          if (this.#updates[0] === update) this.#updates.shift();
          this.#confirmed = Math.max(this.#confirmed, update.update_id);
        } else await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      this.#delivering = false;
    }
  }

  /** GET /file/bot<token>/<file_path>: the bytes of a file people sent (Telegram: 404 for a wrong path). */
  #download(token: string, path: string, res: ServerResponse): void {
    const file = token === this.token ? [...this.#files.values()].find((f) => f.path === path) : undefined;
    if (!file) {
      res.writeHead(token === this.token ? 404 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return;
    }
    this.downloads.push(path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  #getUpdates(
    params: Record<string, unknown>,
    req: IncomingMessage,
    answer: (status: number, body: unknown) => void,
  ): void {
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Math.max(0, Number(params.timeout ?? 0));
    // Telegram ends a long poll still waiting when another one arrives.
    this.#waiter?.finish(409, {
      ok: false,
      error_code: 409,
      description:
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    });
    this.#waiter = undefined;
    const ready = this.#take(offset, limit);
    if (ready.length > 0 || timeout === 0) {
      answer(200, { ok: true, result: ready });
      return;
    }
    const timer = setTimeout(() => waiter.finish(200, { ok: true, result: [] }), timeout * 1000);
    // The bot went away (killed, or it aborted the poll): nobody to answer.
    const gone = () => {
      clearTimeout(timer);
      if (this.#waiter === waiter) this.#waiter = undefined;
    };
    const waiter: Waiter = {
      offset,
      limit,
      finish: (status, body) => {
        clearTimeout(timer);
        // A kept-alive socket carries many polls: each takes its listener with it.
        req.socket.off('close', gone);
        if (this.#waiter === waiter) this.#waiter = undefined;
        answer(status, body);
      },
    };
    this.#waiter = waiter;
    req.socket.once('close', gone);
  }
}

/** A file uploaded in a multipart body. */
interface Upload {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

/**
 * A JSON body (what grammY sends without files), a form, or multipart/form-data (what it sends
 * with a file). Multipart goes through busboy: grammY writes part headers as Telegram accepts
 * them ("content-disposition:form-data;name=…", an unquoted filename), which undici's strict
 * FormData parser refuses. A field "attach://<name>" (the Bot API's way) is replaced by the file
 * uploaded under <name>.
 */
async function parseBody(raw: Buffer, type: string): Promise<Record<string, unknown>> {
  if (type.includes('application/json')) return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  if (!type.includes('multipart/form-data'))
    return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  const { Busboy } = await import('@fastify/busboy');
  const fields: Record<string, unknown> = {};
  const uploads = new Map<string, Upload>();
  await new Promise<void>((resolve, reject) => {
    const parser = Busboy({ headers: { 'content-type': type } });
    parser.on('field', (name: string, value: string) => {
      fields[name] = value;
    });
    parser.on(
      'file',
      (name: string, stream: NodeJS.ReadableStream, fileName: string, _enc: string, mimeType: string) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => uploads.set(name, { fileName, mimeType, bytes: Buffer.concat(chunks) }));
      },
    );
    parser.on('finish', resolve);
    parser.on('error', reject);
    parser.end(raw);
  });
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string' && value.startsWith('attach://'))
      fields[name] = uploads.get(value.slice(9));
  }
  for (const [name, upload] of uploads) fields[name] ??= upload;
  return fields;
}

const isUpload = (value: unknown): value is Upload =>
  typeof value === 'object' && value !== null && 'bytes' in value && 'fileName' in value;

/** reply_markup arrives as an object (JSON body) or as JSON text (a form). */
function jsonOf(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
