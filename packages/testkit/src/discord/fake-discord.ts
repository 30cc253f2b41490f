/**
 * A fake of Discord (https://discord.com/developers/docs, API v10) on node:http and `ws`, for
 * testing a bot offline through its real client library (discord.js with `rest.api` pointed at
 * `apiUrl`; the gateway URL is what the fake's GET /gateway/bot answers) on the HTTP server every
 * platform fake shares (../fake-http.ts). REST and the CDN are rest.ts, the gateway gateway.ts
 * (it dispatches MESSAGE_CREATE / INTERACTION_CREATE), what the fake holds state.ts.
 *
 * A test plays the people (`message`, `press`), reads what the bot sent (`sent`, `calls`,
 * `callbacks`) and makes calls fail (`failNext`, e.g. a 429 with retry_after).
 */
import { randomBytes } from 'node:crypto';
import { FakeHttpServer } from '../fake-http.js';
import { FakeGateway } from './gateway.js';
import { DiscordRest } from './rest.js';
import { DiscordState, messageBase } from './state.js';
import type {
  DcCall,
  DcInteractionCallback,
  DcMessage,
  DcSentMessage,
  DcUser,
  FakeDiscordMessage,
  FakeDiscordOptions,
} from './types.js';

export type * from './types.js';

/** Gateway intent MESSAGE_CONTENT (1 << 15): without it, messages arrive with empty content. */
const MESSAGE_CONTENT = 1 << 15;

export class FakeDiscord {
  readonly token: string;
  readonly bot: DcUser;
  /** Every REST call the bot made, in order. */
  readonly calls: DcCall[] = [];
  /** Every acknowledgement of a button press. */
  readonly callbacks: DcInteractionCallback[] = [];
  /** Every IDENTIFY's intents, in order (one per new session). */
  readonly identifies: number[];
  readonly #state = new DiscordState(() => this.url);
  readonly #gateway: FakeGateway;
  readonly #rest: DiscordRest;
  readonly #http = new FakeHttpServer(
    (req, res) => this.#rest.handle(req, res),
    (req, socket, head) => this.#gateway.upgrade(req, socket, head),
  );
  url = '';

  private constructor(options: FakeDiscordOptions) {
    this.token = options.token ?? 'fake-discord-token';
    this.bot = {
      id: this.snowflake(),
      username: options.username ?? 'oxydra_test_bot',
      global_name: null,
      discriminator: '0',
      avatar: null,
      bot: true,
    };
    const gatewayUrl = () => `${this.#http.wsUrl}/gateway`;
    this.#gateway = new FakeGateway({ token: this.token, bot: this.bot, url: gatewayUrl });
    this.identifies = this.#gateway.identifies;
    this.#rest = new DiscordRest(
      { token: this.token, bot: this.bot, calls: this.calls, callbacks: this.callbacks, gatewayUrl },
      this.#state,
    );
  }

  /** Starts the fake on 127.0.0.1 (a free port). */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    fake.url = await fake.#http.listen();
    return fake;
  }

  /** What to give discord.js's `rest.api` (`[channels.discord] api_url`). */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  /** Whether a bot is connected to the gateway with a session. */
  get connected(): boolean {
    return this.#gateway.connected;
  }

  /** A new snowflake, later than every one before (Discord's ids grow with time). */
  snowflake(): string {
    return this.#state.snowflake();
  }

  /** The DM channel between the bot and a user (made on first use, as Discord does). */
  dmChannel(userId: string): string {
    return this.#state.dmChannel(userId);
  }

  /** A person sends a message; dispatched as MESSAGE_CREATE when the bot is connected. */
  message(input: FakeDiscordMessage): DcMessage {
    const channelId = input.channel?.id ?? this.#state.dmChannel(input.author.id);
    const author: DcUser = {
      id: input.author.id,
      username: input.author.username ?? `user${input.author.id.slice(-4)}`,
      global_name: null,
      discriminator: '0',
      avatar: null,
    };
    const id = this.#state.snowflake();
    const replied =
      input.replyTo !== undefined
        ? this.#state.history(channelId).find((m) => m.id === input.replyTo)
        : undefined;
    const message: DcMessage = {
      ...messageBase(id, channelId, author),
      ...(input.channel ? { guild_id: input.channel.guildId } : {}),
      content: input.mentionBot ? `<@${this.bot.id}> ${input.content}` : input.content,
      mentions: [...(input.mentionBot ? [this.bot] : []), ...(replied ? [replied.author] : [])],
      attachments: (input.files ?? []).map((file) => this.#state.attach(channelId, file)),
      ...(replied
        ? {
            type: 19,
            message_reference: { message_id: replied.id, channel_id: channelId },
            referenced_message: replied,
          }
        : {}),
    };
    this.#state.history(channelId).push(message);
    this.dispatch('MESSAGE_CREATE', this.#asSeen(message));
    return message;
  }

  /** A person presses a button under a message the bot sent; resolves with the interaction id. */
  press(input: {
    user: { id: string; username?: string };
    channelId: string;
    messageId: string;
    customId: string;
  }): string {
    const id = this.#state.snowflake();
    const token = `interaction-token-${randomBytes(12).toString('hex')}`;
    this.#state.interactions.set(id, token);
    const sent = this.#state.history(input.channelId).find((m) => m.id === input.messageId);
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.bot.id,
      type: 3,
      token,
      version: 1,
      channel_id: input.channelId,
      channel: { id: input.channelId, type: 1 },
      user: {
        id: input.user.id,
        username: input.user.username ?? `user${input.user.id.slice(-4)}`,
        global_name: null,
        discriminator: '0',
        avatar: null,
      },
      data: { custom_id: input.customId, component_type: 2 },
      ...(sent ? { message: sent } : {}),
      locale: 'en-US',
      app_permissions: '0',
      entitlements: [],
      authorizing_integration_owners: {},
      attachment_size_limit: 10_485_760,
    });
    return id;
  }

  /** Sends a dispatch on the live session (kept for its RESUME when the bot is away). */
  dispatch(t: string, d: unknown): void {
    this.#gateway.dispatch(t, d);
  }

  /** Closes the bot's gateway connection; `resumable: false` also forgets its session (op 9 on RESUME). */
  dropGateway(options: { resumable: boolean }): void {
    this.#gateway.drop(options);
  }

  /** The next REST call whose "METHOD /path" matches fails with this Discord error (429: retry_after seconds). */
  failNext(
    route: RegExp,
    error: { status: number; code?: number; message: string; retryAfter?: number },
  ): void {
    this.#rest.failures.add({ route, code: error.code ?? 0, ...error });
  }

  /** Every message the bot sent, oldest first (edits applied; `history` has every text). */
  sent(channelId?: string): DcSentMessage[] {
    return [...this.#state.sent.values()].filter((m) => channelId === undefined || m.channelId === channelId);
  }

  async close(): Promise<void> {
    this.#gateway.close();
    await this.#http.close();
  }

  /** Without the MESSAGE_CONTENT intent, a server message not mentioning the bot arrives empty (as on Discord). */
  #asSeen(message: DcMessage): DcMessage {
    if (this.#gateway.intents & MESSAGE_CONTENT || message.guild_id === undefined) return message;
    if (message.mentions.some((user) => user.id === this.bot.id)) return message;
    return { ...message, content: '', attachments: [], embeds: [], components: [] };
  }
}
