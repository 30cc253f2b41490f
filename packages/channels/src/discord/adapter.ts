/**
 * The Discord adapter: the channel contract over a discord.js `Client`: its gateway connection
 * (which heartbeats, resumes and reconnects) and its REST client (which queues requests per
 * rate-limit bucket and waits out short 429s). Events are read from the client's `raw` event,
 * Discord's JSON payloads as published (events.ts), not from discord.js's cached structures;
 * messages are not cached at all.
 *
 * Discord's gateway replays nothing after a restart, so durability is the cursor's (cursor.ts):
 * when `receive` is given a cursor other than the last it handed out (a restart, or a batch the
 * host could not store) or the gateway started a new session, it first reads each known
 * conversation again with REST (`GET /channels/{id}/messages?after=`), then the live events.
 * A message read twice is stored once (the store keys messages by conversation and id).
 *
 * Sent messages mention nobody (`allowed_mentions` empty: an answer cannot ping @everyone) and
 * show no link previews (SUPPRESS_EMBEDS). A send from the outbox carries a nonce derived from its
 * key with `enforce_nonce` (nonce.ts), so Discord itself makes a retried send one message. Errors leave here with the bot token and interaction
 * tokens scrubbed.
 */
import {
  type Channel,
  type ChannelAttachment,
  type ChannelButton,
  type ChannelCapabilities,
  type ChannelFile,
  ChannelRetryableError,
  type ChannelSendOptions,
  type ChannelTarget,
  type ChannelUpdate,
} from '@oxydra/types';
import {
  type APIMessage,
  Client,
  Events,
  escapeMarkdown,
  type GatewayDispatchPayload,
  GatewayIntentBits,
  Options,
  type REST,
  Routes,
} from 'discord.js';
import { byStatus, scrubbed, scrubber } from '../platform-errors.js';
import { readBounded } from '../read-bounded.js';
import {
  advance,
  type CursorState,
  decodeCursor,
  encodeCursor,
  snowflakeAt,
  snowflakeTime,
} from './cursor.js';
import { type BotIdentity, type DiscordEvent, discordEvent, messageEvent } from './events.js';
import { type BufferLimits, LiveBuffer } from './live-buffer.js';
import { sendNonce } from './nonce.js';
import { requestWithBytes } from './request-bytes.js';
import { classify } from './rest-errors.js';

export interface DiscordOptions {
  /** The configured name ("discord"). */
  name: string;
  token: string;
  /** Discord's REST API; default https://discord.com/api. */
  apiUrl: string;
  maxMessageLength: number;
  /** The allowed senders' ids: their conversations are the ones read again after a restart. */
  senderIds: readonly string[];
  /** The live events kept while the host stores a batch (live-buffer.ts; 1,000 events or 8 MB by default). */
  bufferLimits?: BufferLimits;
}

/** Discord allows about 5 edits of one message per 5 s; one a second leaves room for the rest. */
const EDIT_INTERVAL_MS = 1000;
/** How long one receive() waits for a live event before answering with none. */
const RECEIVE_WAIT_MS = 25_000;
/** A conversation read again reads at most this many pages of 100 messages (a hostile-input bound). */
const CATCH_UP_PAGES = 5;
/** A conversation not listed in the cursor is read from this long before the newest id seen. */
const UNLISTED_MARGIN_MS = 60_000;
/** Button presses kept for answering (Discord lets an interaction be answered for 15 minutes). */
const MAX_PRESSES = 1000;
/** Message flag SUPPRESS_EMBEDS: no link previews. */
const SUPPRESS_EMBEDS = 1 << 2;
/** Interaction callback 4: answer with a message (ephemeral, flag 64); 6: acknowledge quietly. */
const REPLY = 4;
const DEFERRED_UPDATE = 6;
const EPHEMERAL = 1 << 6;
/** Discord's file hosts: an attachment is fetched from nowhere else (besides a configured api_url's host). */
const CDN_HOSTS = new Set(['cdn.discordapp.com', 'media.discordapp.net']);
/** A wait Discord asks for longer than this is the host's to sit out (not a request held in the REST queue). */
const HOLD_AT_MOST_MS = 5_000;

const CARRIED = new Set(['MESSAGE_CREATE', 'MESSAGE_UPDATE', 'INTERACTION_CREATE']);
const QUIET = { allowed_mentions: { parse: [] }, flags: SUPPRESS_EMBEDS } as const;

export class DiscordChannel implements Channel {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  readonly #o: DiscordOptions;
  readonly #client: Client;
  readonly #rest: REST;
  readonly #senders: Set<string>;
  readonly #closing = new AbortController();
  #bot: BotIdentity | undefined;
  /** Live events not yet handed out; what it dropped is said by the next receive(). */
  readonly #buffer: LiveBuffer;
  #wake: (() => void) | undefined;
  /** The state after the last update handed out, and that update's cursor. */
  #state: CursorState = decodeCursor(undefined, Date.now());
  #emitted: string | undefined;
  #catchUp = false;
  #sessions = 0;
  #gatewayError: Error | undefined;
  readonly #pressTokens = new Map<string, string>();
  readonly #dmChannels = new Map<string, string>();

  constructor(options: DiscordOptions) {
    this.name = options.name;
    this.#o = options;
    this.#senders = new Set(options.senderIds);
    this.#buffer = new LiveBuffer(options.bufferLimits);
    this.capabilities = {
      edit: true,
      maxMessageLength: options.maxMessageLength,
      minEditIntervalMs: EDIT_INTERVAL_MS,
      files: true,
    };
    this.#client = new Client({
      intents:
        GatewayIntentBits.Guilds |
        GatewayIntentBits.GuildMessages |
        GatewayIntentBits.DirectMessages |
        GatewayIntentBits.MessageContent,
      // Nothing is read from discord.js's caches: messages and members are not kept.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: 0,
        GuildMemberManager: 0,
        UserManager: 0,
      }),
      rest: {
        api: options.apiUrl,
        // A short wait is queued by discord.js; a long one is the host's (ChannelRetryableError).
        rejectOnRateLimit: (limit) => limit.retryAfter > HOLD_AT_MOST_MS,
        // Uploads as bytes: whichever undici's Agent is the global dispatcher can send them.
        makeRequest: requestWithBytes,
      },
    });
    this.#rest = this.#client.rest.setToken(options.token);
  }

  /** The bot's own user, by REST: it checks the token and opens no gateway session (`channels test`). */
  async probe(): Promise<{ botName: string }> {
    return { botName: `@${(await this.#me()).username}` };
  }

  #me(): Promise<{ id: string; username: string }> {
    return this.#call('get users/@me', () => this.#rest.get(Routes.user('@me'))) as Promise<{
      id: string;
      username: string;
    }>;
  }

  async start(): Promise<{ botName: string }> {
    const me = await this.#me();
    this.#bot = { id: me.id, username: me.username };
    const bot = this.#bot;
    this.#client.on(Events.Raw, (packet: { op: number; t?: string }) => {
      // Only what the contract carries; READY, GUILD_CREATE, TYPING_START... move no cursor.
      if (packet.op !== 0 || !CARRIED.has(packet.t ?? '')) return;
      // Past the buffer's bounds everything kept is dropped: the next receive() says so and reads
      // their conversations again (the cursor holds what was handed out, so nothing after it is
      // skipped in a known conversation).
      if (!this.#buffer.keep(discordEvent(packet as GatewayDispatchPayload, bot))) this.#catchUp = true;
      this.#wake?.();
    });
    // A new session (not a resume) after the first: what came meanwhile is read again with REST.
    this.#client.on(Events.ShardReady, () => {
      this.#sessions += 1;
      if (this.#sessions > 1) {
        this.#catchUp = true;
        this.#wake?.();
      }
    });
    const onError = (error: Error) => {
      this.#gatewayError = scrubbed(error, scrubber([this.#o.token], '<token>'));
      this.#wake?.();
    };
    this.#client.on(Events.Error, onError);
    this.#client.on(Events.ShardError, onError);
    await this.#call('gateway login', () => this.#client.login(this.#o.token));
    return { botName: `@${me.username}` };
  }

  async receive(cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    const bot = this.#bot;
    if (!bot) throw new Error('receive() before start()');
    if (cursor !== this.#emitted) {
      // A restart (or a batch the host did not store): continue from the stored cursor.
      this.#state = decodeCursor(cursor, Date.now());
      this.#emitted = cursor;
      this.#catchUp = cursor !== undefined;
    }
    const dropped = this.#buffer.takeDropped();
    if (dropped > 0) {
      const { events, bytes } = this.#buffer.limits;
      throw new ChannelRetryableError(
        `Discord gateway: ${dropped} events came faster than they were stored (at most ${events} events or ${bytes} bytes wait) and were dropped; their conversations are read again (button presses among them are lost)`,
      );
    }
    const gatewayError = this.#gatewayError;
    if (gatewayError) {
      this.#gatewayError = undefined;
      throw new ChannelRetryableError(`Discord gateway: ${gatewayError.message}`);
    }
    let events: DiscordEvent[] = [];
    if (this.#catchUp) {
      events = await this.#readAgain(bot, signal);
      this.#catchUp = false;
    }
    if (events.length === 0 && this.#buffer.length === 0) await this.#waitForEvent(signal);
    events.push(...this.#buffer.take());
    return events.map((event) => this.#withCursor(event));
  }

  /** How many live events wait for the next receive() (for tests and status). */
  get buffered(): number {
    return this.#buffer.length;
  }

  async send(
    target: ChannelTarget,
    text: string,
    options?: ChannelSendOptions,
  ): Promise<{ messageId: string }> {
    const body = { content: text, ...QUIET, ...sendNonce(target, options) };
    const sent = (await this.#call('post message', () =>
      this.#rest.post(Routes.channelMessages(target.chatId), { body }),
    )) as APIMessage;
    return { messageId: sent.id };
  }

  async edit(target: ChannelTarget, messageId: string, text: string): Promise<void> {
    await this.#call('patch message', () =>
      this.#rest.patch(Routes.channelMessage(target.chatId, messageId), {
        body: { content: text, allowed_mentions: QUIET.allowed_mentions },
      }),
    );
  }

  /**
   * Every markup that can hide or disguise text escaped: spoilers (`||rm -rf ~||`), masked links,
   * code, emphasis, and headings and lists at a line's start (discord.js leaves the last four as
   * they are unless asked).
   */
  literal(text: string): string {
    return escapeMarkdown(text, { heading: true, bulletedList: true, numberedList: true, maskedLink: true });
  }

  async sendQuestion(
    target: ChannelTarget,
    text: string,
    buttons: ChannelButton[],
  ): Promise<{ messageId: string }> {
    // Up to 5 buttons a row and 5 rows (Discord's limits); custom_id is the value (at most 100 characters).
    const rows: { type: 1; components: object[] }[] = [];
    for (let i = 0; i < Math.min(buttons.length, 25); i += 5) {
      rows.push({
        type: 1,
        components: buttons
          .slice(i, i + 5)
          .map((b) => ({ type: 2, style: 2, label: b.label.slice(0, 80), custom_id: b.value.slice(0, 100) })),
      });
    }
    const sent = (await this.#call('post question', () =>
      this.#rest.post(Routes.channelMessages(target.chatId), {
        body: { content: text, components: rows, ...QUIET },
      }),
    )) as APIMessage;
    return { messageId: sent.id };
  }

  async answerButton(pressId: string, note?: string): Promise<void> {
    const token = this.#pressTokens.get(pressId);
    // Unknown: pressed before a restart; Discord forgets an unanswered interaction after 3 s anyway.
    if (token === undefined) return;
    this.#pressTokens.delete(pressId);
    const body =
      note !== undefined
        ? { type: REPLY, data: { content: note, flags: EPHEMERAL, allowed_mentions: QUIET.allowed_mentions } }
        : { type: DEFERRED_UPDATE };
    await this.#call(
      'post interaction callback',
      () => this.#rest.post(Routes.interactionCallback(pressId, token), { body, auth: false }),
      token,
    );
  }

  async sendFile(target: ChannelTarget, file: ChannelFile, caption?: string, once?: ChannelSendOptions) {
    const sent = (await this.#call('post file', () =>
      this.#rest.post(Routes.channelMessages(target.chatId), {
        body: {
          ...(caption !== undefined ? { content: caption } : {}),
          attachments: [{ id: 0, filename: file.name }],
          ...QUIET,
          ...sendNonce(target, once),
        },
        files: [
          {
            name: file.name,
            data: Buffer.from(file.bytes),
            ...(file.mimeType !== undefined ? { contentType: file.mimeType } : {}),
          },
        ],
      }),
    )) as APIMessage;
    return { messageId: sent.id };
  }

  async fetchAttachment(
    attachment: ChannelAttachment,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const url = this.#fetchable(attachment.id);
    if (attachment.size !== undefined && attachment.size > maxBytes)
      throw new Error(`the file is ${attachment.size} bytes; at most ${maxBytes} are read`);
    let response: Response;
    try {
      // No redirects: a redirect could lead anywhere, and only Discord's hosts are read.
      response = await fetch(url, {
        redirect: 'error',
        signal: AbortSignal.any([signal, this.#closing.signal]),
      });
    } catch (error) {
      throw new ChannelRetryableError(`Discord CDN: ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw byStatus(response.status, `Discord CDN: ${response.status} ${response.statusText}`);
    }
    return readBounded(response, maxBytes, (declared) =>
      declared !== undefined
        ? new Error(`the file is ${declared} bytes; at most ${maxBytes} are read`)
        : new Error(`the file is larger than ${maxBytes} bytes; stopped reading it`),
    );
  }

  /** The direct-message channel with a person (the Channel contract's openDirect). */
  async openDirect(userId: string): Promise<string> {
    const id = await this.#dmChannel(userId);
    if (id === undefined)
      throw new Error(`Discord: no direct message with user ${userId} (the bot shares no server with them)`);
    return id;
  }

  async close(): Promise<void> {
    this.#closing.abort();
    this.#wake?.();
    await this.#client.destroy().catch(() => {});
  }

  /** The attachment's address, when it is on Discord's CDN (https) or the configured api_url's host. */
  #fetchable(address: string): URL {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw new Error('the attachment has no valid address');
    }
    const api = new URL(this.#o.apiUrl);
    const discord = url.protocol === 'https:' && CDN_HOSTS.has(url.hostname);
    if (!discord && url.origin !== api.origin)
      throw new Error(`refusing to fetch an attachment from ${url.hostname}: not a Discord file host`);
    return url;
  }

  /** The update with its cursor: the state after it (cursor.ts). */
  #withCursor(event: DiscordEvent): ChannelUpdate {
    if (event.kind === 'message' && !event.message.edited) {
      const m = event.message;
      this.#state = advance(this.#state, m.conversation, m.id, this.#senders.has(m.sender.id));
    }
    const cursor = encodeCursor(this.#state);
    this.#emitted = cursor;
    if (event.kind !== 'button') return { cursor, ...event };
    this.#pressTokens.set(event.press.id, event.token);
    if (this.#pressTokens.size > MAX_PRESSES)
      this.#pressTokens.delete(this.#pressTokens.keys().next().value!);
    return { cursor, kind: 'button', press: event.press };
  }

  /**
   * Every known conversation's messages after the cursor, oldest first: the conversations an
   * allowed sender wrote in, and each allowed sender's direct-message channel.
   */
  async #readAgain(bot: BotIdentity, signal: AbortSignal): Promise<DiscordEvent[]> {
    const unlisted = snowflakeAt(snowflakeTime(this.#state.w) - UNLISTED_MARGIN_MS);
    const channels = new Map(Object.entries(this.#state.c));
    for (const sender of this.#senders) {
      const dm = await this.#dmChannel(sender);
      if (dm !== undefined && !channels.has(dm)) channels.set(dm, unlisted);
    }
    const events: DiscordEvent[] = [];
    for (const [channel, after] of channels) {
      if (signal.aborted) break;
      const messages = await this.#messagesAfter(channel, after);
      // REST messages carry no guild_id: a channel is direct when it is an allowed sender's DM channel.
      const direct = [...this.#dmChannels.values()].includes(channel);
      for (const message of messages) events.push(messageEvent(message, bot, false, direct));
    }
    return events;
  }

  /** Up to CATCH_UP_PAGES pages of a channel's messages after `after`, oldest first; none when it is gone. */
  async #messagesAfter(channel: string, after: string): Promise<APIMessage[]> {
    const found: APIMessage[] = [];
    let from = after;
    for (let page = 0; page < CATCH_UP_PAGES; page += 1) {
      let batch: APIMessage[];
      try {
        batch = (await this.#call('get messages', () =>
          this.#rest.get(Routes.channelMessages(channel), {
            query: new URLSearchParams({ after: from, limit: '100' }),
          }),
        )) as APIMessage[];
      } catch (error) {
        if (error instanceof ChannelRetryableError) throw error;
        // The bot left it, or it was deleted: nothing to read there.
        const { [channel]: _gone, ...rest } = this.#state.c;
        this.#state = { w: this.#state.w, c: rest };
        return found;
      }
      // Discord answers newest first.
      batch.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      found.push(...batch);
      if (batch.length < 100) break;
      from = batch.at(-1)!.id;
    }
    return found;
  }

  /** The direct-message channel with an allowed sender (POST /users/@me/channels opens or finds it). */
  async #dmChannel(userId: string): Promise<string | undefined> {
    const known = this.#dmChannels.get(userId);
    if (known !== undefined) return known;
    try {
      const channel = (await this.#call('post users/@me/channels', () =>
        this.#rest.post(Routes.userChannels(), { body: { recipient_id: userId } }),
      )) as { id: string };
      this.#dmChannels.set(userId, channel.id);
      return channel.id;
    } catch (error) {
      if (error instanceof ChannelRetryableError) throw error;
      return undefined; // not a user the bot can write to (no shared server)
    }
  }

  #waitForEvent(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, RECEIVE_WAIT_MS);
      signal.addEventListener('abort', done, { once: true });
      if (this.#closing.signal.aborted || signal.aborted) done();
      else this.#wake = done;
    });
  }

  /** One REST call, its failure classified (retry or not) and its message free of tokens. */
  async #call<T>(what: string, call: () => Promise<T>, secret?: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw classify(what, error, [this.#o.token, ...(secret !== undefined ? [secret] : [])]);
    }
  }
}
