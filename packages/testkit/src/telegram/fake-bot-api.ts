/**
 * A fake of the Telegram Bot API (https://core.telegram.org/bots/api) on node:http, for testing a
 * bot offline through its real client library (grammY's `apiRoot` points at `url`), on the HTTP
 * server every platform fake shares (../fake-http.ts). It answers what a bot calls, in the
 * published shapes (bot-api.ts): getMe, deleteWebhook, getUpdates (offset confirms earlier
 * updates, timeout long-polls, a second poll ends the first with 409), sendMessage,
 * editMessageText and answerCallbackQuery; files as the Bot API serves them: a message may carry
 * a document or a photo, getFile gives its file_path, GET /file/bot<token>/<file_path> its bytes,
 * and sendDocument takes a multipart upload. setWebhook switches to pushing (updates.ts): each
 * update is POSTed to the URL with the secret token header, one at a time, again until it is
 * answered 2xx (getUpdates then answers 409, as Telegram does); deleteWebhook switches back. A test
 * plays the people (`message`, `press`), reads what the bot sent (`sent`, `calls`) and makes calls
 * fail (`failNext`, e.g. a 429 with retry_after). Each call carries when it arrived (`at`) and each
 * update when getUpdates first handed it out (`deliveredAt`), so a bench can time a message.
 */
import { FakeHttpServer } from '../fake-http.js';
import { BotApiMethods } from './bot-api.js';
import type {
  FakeBotApiOptions,
  FakeMessage,
  TgCall,
  TgChat,
  TgDocument,
  TgEntity,
  TgMessage,
  TgSentMessage,
  TgUser,
} from './types.js';
import { UpdateQueue } from './updates.js';

export type * from './types.js';

export class FakeBotApi {
  readonly token: string;
  readonly bot: TgUser;
  /** Every call the bot made, in order. */
  readonly calls: TgCall[] = [];
  /** Each button press the bot acknowledged (answerCallbackQuery), with the note it showed. */
  readonly answers: { id: string; text?: string }[] = [];
  /** Every file download the bot made (file paths). */
  readonly downloads: string[] = [];
  readonly #updates = new UpdateQueue();
  /** Webhook mode: every POST of an update to the webhook, with the status it got (0: no answer). */
  readonly deliveries = this.#updates.deliveries;
  readonly #api: BotApiMethods;
  readonly #http = new FakeHttpServer((req, res) => this.#api.handle(req, res));
  url = '';

  private constructor(options: FakeBotApiOptions) {
    this.token = options.token ?? '123456:TEST-token';
    this.bot = {
      id: Number(this.token.split(':')[0]),
      is_bot: true,
      first_name: 'Test bot',
      username: options.username ?? 'oxydra_test_bot',
    };
    this.#api = new BotApiMethods(
      {
        token: this.token,
        bot: this.bot,
        calls: this.calls,
        answers: this.answers,
        downloads: this.downloads,
      },
      this.#updates,
    );
  }

  /** Starts the fake on 127.0.0.1 (a free port); `url` is the apiRoot to give the bot. */
  static async start(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
    const api = new FakeBotApi(options);
    api.url = await api.#http.listen();
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
    const messageId = input.edits ?? this.#api.messageId(chat.id);
    const entities: TgEntity[] = [];
    const handle = `@${this.bot.username}`;
    if (input.mentionBot && input.text.includes(handle))
      entities.push({ type: 'mention', offset: input.text.indexOf(handle), length: handle.length });
    const command = /^\/[A-Za-z]+(@\w+)?/.exec(input.text);
    if (command) entities.push({ type: 'bot_command', offset: 0, length: command[0].length });
    const replied =
      input.replyTo !== undefined
        ? (this.#api.sent.get(`${chat.id}:${input.replyTo}`) ??
          this.#api.received.get(`${chat.id}:${input.replyTo}`))
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
      ...(replied ? { reply_to_message: 'history' in replied ? this.#api.asMessage(replied) : replied } : {}),
      ...(input.edits !== undefined ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
      ...(input.forwardedFrom !== undefined
        ? { forward_origin: { type: 'hidden_user', sender_user_name: input.forwardedFrom, date: 0 } }
        : {}),
    };
    this.#api.received.set(`${chat.id}:${messageId}`, message);
    const updateId = this.#updates.push(
      input.edits !== undefined ? { edited_message: message } : { message },
    );
    return { updateId, messageId };
  }

  /** Registers a file people sent; the message field that carries it (document, or photo sizes). */
  #media(file: NonNullable<FakeMessage['file']>): Pick<TgMessage, 'document' | 'photo'> {
    const id = `file-${this.#api.files.size + 1}`;
    const uniqueId = `u${id}`;
    const kind = file.kind ?? 'document';
    this.#api.files.set(id, {
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
    const sent = this.#api.sent.get(`${input.chatId}:${input.messageId}`);
    const id = `cq-${this.#updates.nextId}`;
    this.#api.queries.add(id);
    return this.#updates.push({
      callback_query: {
        id,
        from: {
          id: input.from.id,
          is_bot: false,
          first_name: input.from.first_name ?? `User ${input.from.id}`,
        },
        ...(sent ? { message: this.#api.asMessage(sent) } : {}),
        chat_instance: String(input.chatId),
        data: input.data,
      },
    });
  }

  /** The next call of `method` fails with this Bot API error (e.g. 429 with retry_after seconds). */
  failNext(method: string, error: { code: number; description: string; retryAfter?: number }): void {
    this.#api.failures.add({ method, ...error });
  }

  /** Every message the bot sent, oldest first (edits applied; `history` has every text). */
  sent(chatId?: number): TgSentMessage[] {
    return [...this.#api.sent.values()].filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** The highest update_id the bot has confirmed (by asking getUpdates for a later offset). */
  get confirmed(): number {
    return this.#updates.confirmed;
  }

  /** When getUpdates first handed out this update (`performance.now()`); undefined if not yet. */
  deliveredAt(updateId: number): number | undefined {
    return this.#updates.deliveredAt(updateId);
  }

  /** Updates not yet confirmed: what getUpdates would still return. */
  get pendingUpdates(): number {
    return this.#updates.pending;
  }

  async close(): Promise<void> {
    this.#updates.close();
    await this.#http.close();
  }
}
