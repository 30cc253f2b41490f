/**
 * The fake Bot API's methods (https://core.telegram.org/bots/api), as fake-bot-api.ts serves them
 * at /bot<token>/<method>: getMe, setWebhook, deleteWebhook, getUpdates (updates.ts), sendMessage,
 * editMessageText ("message is not modified", "message to edit not found"),
 * answerCallbackQuery, getFile, sendDocument (a multipart upload); and files at
 * GET /file/bot<token>/<file_path>. Anything else is 404 "Not Found", a wrong token 401
 * "Unauthorized", and a failure a test queued answers the next call of its method. It keeps the
 * messages the bot sent and received, the files people sent and the presses not yet answered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FailureQueue, jsonOrForm, readBodyBytes, sendJson } from '../fake-http.js';
import type { TgCall, TgMessage, TgSentMessage, TgUser } from './types.js';
import type { UpdateQueue } from './updates.js';

const MAX_TEXT = 4096;

/** A failure queued by failNext: a Bot API error (e.g. 429 with retry_after seconds). */
export interface TelegramFailure {
  method: string;
  code: number;
  description: string;
  retryAfter?: number;
}

export class BotApiMethods {
  readonly failures = new FailureQueue<TelegramFailure>();
  /** Presses not yet acknowledged (a second answerCallbackQuery of one is refused). */
  readonly queries = new Set<string>();
  /** Messages by "<chat>:<message id>". */
  readonly sent = new Map<string, TgSentMessage>();
  readonly received = new Map<string, TgMessage>();
  /** Files people sent, by file_id: what getFile and the download route serve. */
  readonly files = new Map<string, { path: string; bytes: Uint8Array }>();
  readonly #nextMessageId = new Map<number, number>();
  readonly #updates: UpdateQueue;

  constructor(
    private readonly me: {
      token: string;
      bot: TgUser;
      calls: TgCall[];
      answers: { id: string; text?: string }[];
      downloads: string[];
    },
    updates: UpdateQueue,
  ) {
    this.#updates = updates;
  }

  messageId(chatId: number): number {
    const next = (this.#nextMessageId.get(chatId) ?? 0) + 1;
    this.#nextMessageId.set(chatId, next);
    return next;
  }

  asMessage(sent: TgSentMessage): TgMessage {
    return {
      message_id: sent.messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: sent.chatId, type: sent.chatId < 0 ? 'supergroup' : 'private' },
      from: this.me.bot,
      text: sent.text,
      ...(sent.threadId !== undefined ? { message_thread_id: sent.threadId } : {}),
      ...(sent.replyMarkup !== undefined ? { reply_markup: sent.replyMarkup } : {}),
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => sendJson(res, status, body);
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
    this.me.calls.push(call);
    const fail = (code: number, description: string, extra: Record<string, unknown> = {}) => {
      call.ok = false;
      call.errorCode = code;
      answer(code, { ok: false, error_code: code, description, ...extra });
    };
    if (token !== this.me.token) return fail(401, 'Unauthorized');
    const f = this.failures.take((queued) => queued.method === method);
    if (f)
      return fail(
        f.code,
        f.description,
        f.retryAfter !== undefined ? { parameters: { retry_after: f.retryAfter } } : {},
      );
    const ok = (result: unknown) => answer(200, { ok: true, result });
    switch (method) {
      case 'getMe':
        return ok(this.me.bot);
      case 'deleteWebhook':
        this.#updates.webhook = undefined;
        return ok(true);
      case 'setWebhook': {
        const url = String(params.url ?? '');
        const secret = params.secret_token !== undefined ? String(params.secret_token) : undefined;
        if (!/^https?:\/\//.test(url))
          return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret))
          return fail(400, 'Bad Request: secret token contains unallowed characters');
        this.#updates.webhook = { url, ...(secret !== undefined ? { secret } : {}) };
        ok(true);
        void this.#updates.deliver();
        return;
      }
      case 'getUpdates':
        if (this.#updates.webhook)
          return fail(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          );
        return this.#updates.getUpdates(params, req, answer);
      case 'sendMessage': {
        const chatId = Number(params.chat_id);
        const text = String(params.text ?? '');
        if (!Number.isFinite(chatId)) return fail(400, 'Bad Request: chat not found');
        if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(400, 'Bad Request: message is too long');
        const sent: TgSentMessage = {
          chatId,
          messageId: this.messageId(chatId),
          text,
          history: [text],
          ...(params.message_thread_id !== undefined ? { threadId: Number(params.message_thread_id) } : {}),
          ...(params.reply_markup !== undefined ? { replyMarkup: jsonOf(params.reply_markup) } : {}),
        };
        this.sent.set(`${chatId}:${sent.messageId}`, sent);
        return ok(this.asMessage(sent));
      }
      case 'editMessageText': {
        const sent = this.sent.get(`${Number(params.chat_id)}:${Number(params.message_id)}`);
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
        return ok(this.asMessage(sent));
      }
      case 'answerCallbackQuery': {
        const id = String(params.callback_query_id ?? '');
        if (!this.queries.has(id))
          return fail(
            400,
            'Bad Request: query is too old and response timeout expired or query ID is invalid',
          );
        this.queries.delete(id);
        this.me.answers.push({ id, ...(params.text !== undefined ? { text: String(params.text) } : {}) });
        return ok(true);
      }
      case 'getFile': {
        const file = this.files.get(String(params.file_id ?? ''));
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
          messageId: this.messageId(chatId),
          text: String(params.caption ?? ''),
          history: [String(params.caption ?? '')],
          ...(params.message_thread_id !== undefined ? { threadId: Number(params.message_thread_id) } : {}),
          document: {
            fileName: document.fileName,
            ...(document.mimeType ? { mimeType: document.mimeType } : {}),
            bytes: document.bytes,
          },
        };
        this.sent.set(`${chatId}:${sent.messageId}`, sent);
        return ok({
          ...this.asMessage(sent),
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

  /** GET /file/bot<token>/<file_path>: the bytes of a file people sent (Telegram: 404 for a wrong path). */
  #download(token: string, path: string, res: ServerResponse): void {
    const file = token === this.me.token ? [...this.files.values()].find((f) => f.path === path) : undefined;
    if (!file) {
      sendJson(res, token === this.me.token ? 404 : 401, {
        ok: false,
        error_code: 404,
        description: 'Not Found',
      });
      return;
    }
    this.me.downloads.push(path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
    res.end(file.bytes);
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
  if (!type.includes('multipart/form-data')) return jsonOrForm(raw, type);
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
