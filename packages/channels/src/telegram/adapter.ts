/**
 * The Telegram adapter: the channel contract over grammY's `Api` (the Bot API client of the
 * grammY framework), long polling or a webhook (webhook.ts). The offset is the host's (its durable cursor), not grammY's:
 * `receive(cursor)` asks getUpdates for what follows it, which also tells Telegram the updates
 * up to it are handled. Link previews are off on everything sent (nothing fetches a link a
 * message carries). Files: getFile, then a download from `<api_root>/file/bot<token>/<path>`
 * bounded by the caller's limit; answers' files go out with sendDocument. Errors leave here with the token scrubbed: node-fetch's messages quote the
 * request URL, and the Bot API's URL holds the token.
 */
import {
  type Channel,
  type ChannelAttachment,
  type ChannelButton,
  type ChannelCapabilities,
  type ChannelFile,
  ChannelRetryableError,
  type ChannelTarget,
  type ChannelUpdate,
} from '@oxydra/types';
import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import { byStatus, errorText, PlatformError, retryAfterMs, scrubbed, scrubber } from '../platform-errors.js';
import { readBounded } from '../read-bounded.js';
import { type BotIdentity, channelUpdate } from './updates.js';
import { TelegramWebhookServer } from './webhook.js';

export interface TelegramOptions {
  /** The configured name ("telegram"). */
  name: string;
  token: string;
  /** The Bot API server; default https://api.telegram.org. */
  apiRoot: string;
  pollingTimeoutSecs: number;
  maxMessageLength: number;
  /** Webhook mode: where Telegram POSTs updates (the public URL) and where this process listens; unset: long polling. */
  webhook?: { url: string; host: string; port: number; secret: string };
}

/** Telegram allows about one message or edit a second per chat. */
const EDIT_INTERVAL_MS = 1000;
const NO_PREVIEW = { link_preview_options: { is_disabled: true } } as const;

/** grammY's Node build types its signals as the abort-controller package's; Node's own is what it gets. */
type GrammySignal = Parameters<Api['getMe']>[0];
const grammySignal = (signal: AbortSignal) => signal as unknown as GrammySignal;

export class TelegramChannel implements Channel {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  readonly #api: Api;
  readonly #token: string;
  readonly #apiRoot: string;
  readonly #pollingTimeoutSecs: number;
  readonly #closing = new AbortController();
  readonly #webhook: { server: TelegramWebhookServer; url: string; secret: string } | undefined;
  #bot: BotIdentity | undefined;

  constructor(options: TelegramOptions) {
    this.name = options.name;
    this.#token = options.token;
    this.#apiRoot = options.apiRoot;
    this.#pollingTimeoutSecs = options.pollingTimeoutSecs;
    this.capabilities = {
      edit: true,
      maxMessageLength: options.maxMessageLength,
      minEditIntervalMs: EDIT_INTERVAL_MS,
      files: true,
    };
    if (options.webhook) {
      const { url, host, port, secret } = options.webhook;
      this.#webhook = {
        server: new TelegramWebhookServer({ path: new URL(url).pathname, host, port, secret }),
        url,
        secret,
      };
    }
    // grammY's own timeout must outlast the long poll it makes.
    this.#api = new Api(options.token, {
      apiRoot: options.apiRoot,
      timeoutSeconds: options.pollingTimeoutSecs + 15,
    });
  }

  async start(): Promise<{ botName: string }> {
    const me = await this.#call(() => this.#api.getMe(grammySignal(this.#closing.signal)));
    const webhook = this.#webhook;
    if (webhook) {
      // Listening before Telegram is told where to deliver. One connection at a time keeps the
      // updates in order (the cursor is the last one stored); updates waiting stay.
      await webhook.server.listen();
      await this.#call(() =>
        this.#api.setWebhook(
          webhook.url,
          {
            secret_token: webhook.secret,
            max_connections: 1,
            drop_pending_updates: false,
            allowed_updates: ['message', 'edited_message', 'callback_query'],
          },
          grammySignal(this.#closing.signal),
        ),
      );
    } else {
      // getUpdates answers 409 while a webhook is set; updates waiting stay (drop_pending_updates false).
      await this.#call(() =>
        this.#api.deleteWebhook({ drop_pending_updates: false }, grammySignal(this.#closing.signal)),
      );
    }
    this.#bot = { id: me.id, username: me.username };
    return { botName: `@${me.username}` };
  }

  async probe(): Promise<{ botName: string }> {
    const me = await this.#call(() => this.#api.getMe(grammySignal(this.#closing.signal)));
    return { botName: `@${me.username}` };
  }

  async receive(cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    const bot = this.#bot;
    if (!bot) throw new Error('receive() before start()');
    const both = AbortSignal.any([signal, this.#closing.signal]);
    if (this.#webhook)
      return (await this.#webhook.server.take(cursor, both)).map((u) => channelUpdate(u, bot));
    const updates = await this.#call(() =>
      this.#api.getUpdates(
        {
          ...(cursor !== undefined ? { offset: Number(cursor) + 1 } : {}),
          timeout: this.#pollingTimeoutSecs,
          allowed_updates: ['message', 'edited_message', 'callback_query'],
        },
        grammySignal(both),
      ),
    );
    return updates.map((update) => channelUpdate(update, bot));
  }

  async send(target: ChannelTarget, text: string): Promise<{ messageId: string }> {
    const sent = await this.#call(() =>
      this.#api.sendMessage(target.chatId, text, { ...NO_PREVIEW, ...threadOf(target) }),
    );
    return { messageId: String(sent.message_id) };
  }

  async edit(target: ChannelTarget, messageId: string, text: string): Promise<void> {
    try {
      await this.#call(() => this.#api.editMessageText(target.chatId, Number(messageId), text, NO_PREVIEW));
    } catch (error) {
      // Editing to the text it has already is an error on Telegram; for us it is done.
      if (error instanceof PlatformError && /message is not modified/i.test(error.message)) return;
      throw error;
    }
  }

  async sendQuestion(
    target: ChannelTarget,
    text: string,
    buttons: ChannelButton[],
  ): Promise<{ messageId: string }> {
    const sent = await this.#call(() =>
      this.#api.sendMessage(target.chatId, text, {
        ...NO_PREVIEW,
        ...threadOf(target),
        reply_markup: { inline_keyboard: [buttons.map((b) => ({ text: b.label, callback_data: b.value }))] },
      }),
    );
    return { messageId: String(sent.message_id) };
  }

  async answerButton(pressId: string, note?: string): Promise<void> {
    await this.#call(() => this.#api.answerCallbackQuery(pressId, note !== undefined ? { text: note } : {}));
  }

  async sendFile(target: ChannelTarget, file: ChannelFile, caption?: string): Promise<{ messageId: string }> {
    const sent = await this.#call(() =>
      this.#api.sendDocument(target.chatId, new InputFile(file.bytes, file.name), {
        ...threadOf(target),
        ...(caption !== undefined ? { caption } : {}),
      }),
    );
    return { messageId: String(sent.message_id) };
  }

  async fetchAttachment(
    attachment: ChannelAttachment,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const both = AbortSignal.any([signal, this.#closing.signal]);
    const file = await this.#call(() => this.#api.getFile(attachment.id, grammySignal(both)));
    if (file.file_size !== undefined && file.file_size > maxBytes)
      throw new Error(`the file is ${file.file_size} bytes; at most ${maxBytes}`);
    if (file.file_path === undefined) throw new Error('Telegram gave no download path for the file');
    const url = `${this.#apiRoot}/file/bot${this.#token}/${file.file_path.split('/').map(encodeURIComponent).join('/')}`;
    return this.#call(() => download(url, maxBytes, both));
  }

  /** Webhook mode: Telegram's requests for the stored updates are answered now (polling: nothing to do). */
  async acknowledge(cursor: string): Promise<void> {
    this.#webhook?.server.acknowledge(cursor);
  }

  async close(): Promise<void> {
    this.#closing.abort();
    // The webhook stays set: Telegram keeps the updates that come meanwhile for the next start.
    await this.#webhook?.server.close();
  }

  /** One Bot API call, its failure classified (retry or not) and its message free of the token. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw classify(error, this.#token);
    }
  }
}

/** A Bot API failure, sorted into retry or not (PlatformError "TelegramError", its error_code the `code`). */
function classify(error: unknown, token: string): Error {
  const scrub = scrubber([token], '<token>');
  if (error instanceof GrammyError) {
    const message = scrub(`Telegram ${error.method}: ${error.error_code} ${error.description}`);
    const retryAfter = error.error_code === 429 ? retryAfterMs(error.parameters.retry_after, 1) : undefined;
    return byStatus(
      error.error_code,
      message,
      (m) => new PlatformError('Telegram', m, error.error_code, error.error_code),
      retryAfter,
    );
  }
  if (error instanceof HttpError)
    return new ChannelRetryableError(scrub(`${error.message} ${errorText(error.error)}`));
  return scrubbed(error, scrub);
}

/** The body of `url`, refused as soon as it is known to pass `maxBytes` (its length, or the bytes read so far). */
async function download(url: string, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const response = await fetch(url, { signal, redirect: 'error' });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw byStatus(response.status, `download failed: HTTP ${response.status}`);
  }
  return readBounded(response, maxBytes, () => new Error(`the file is larger than ${maxBytes} bytes`));
}

function threadOf(target: ChannelTarget): { message_thread_id?: number } {
  return target.threadId !== undefined ? { message_thread_id: Number(target.threadId) } : {};
}
