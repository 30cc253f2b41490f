/**
 * A fake of Discord (https://discord.com/developers/docs, API v10) on node:http and `ws`, for
 * testing a bot offline through its real client library (discord.js with `rest.api` pointed at
 * `apiUrl`; the gateway URL is what the fake's GET /gateway/bot answers). REST: users/@me,
 * gateway/bot, users/@me/channels (a DM channel), channels/{id}/messages GET (after, limit;
 * newest first) / POST (JSON or multipart with files) / PATCH, and interaction callbacks; files
 * are served under /cdn. The gateway speaks JSON without compression: HELLO (op 10), heartbeat
 * (op 1 → 11), IDENTIFY (op 2 → READY), RESUME (op 6 → the missed dispatches, RESUMED; an unknown
 * session gets op 9), and dispatches MESSAGE_CREATE / INTERACTION_CREATE. Like Discord, a
 * dispatch made while the bot is not connected is only replayed to a RESUME of its session; a
 * new session (IDENTIFY) gets nothing of the past.
 *
 * A test plays the people (`message`, `press`), reads what the bot sent (`sent`, `calls`,
 * `callbacks`) and makes calls fail (`failNext`, e.g. a 429 with retry_after).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type {
  DcAttachment,
  DcCall,
  DcGatewayPayload,
  DcInteractionCallback,
  DcMessage,
  DcSentMessage,
  DcUser,
} from './types.js';

export type * from './types.js';

export interface FakeDiscordOptions {
  /** The token the bot must use; default "fake-discord-token". */
  token?: string;
  /** The bot's username; default "oxydra_test_bot". */
  username?: string;
}

/** A file a person attaches, or the bot uploads. */
export interface FakeFile {
  name: string;
  bytes: Uint8Array;
  contentType?: string;
}

/** A person writing. */
export interface FakeDiscordMessage {
  author: { id: string; username?: string };
  content: string;
  /** A server channel (with its guild); default: the author's DM channel with the bot. */
  channel?: { id: string; guildId: string };
  /** Mention the bot (`<@bot id>` is put first in the content, and the bot is in `mentions`). */
  mentionBot?: boolean;
  /** A reply to this message of the channel (its id). */
  replyTo?: string;
  files?: FakeFile[];
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every dispatch of the session, for a RESUME. */
  log: DcGatewayPayload[];
  socket: WebSocket | undefined;
}

const DISCORD_EPOCH = 1_420_070_400_000n;
const MAX_CONTENT = 2000;
const HEARTBEAT_MS = 41_250;
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
  readonly identifies: number[] = [];
  readonly #messages = new Map<string, DcMessage[]>();
  readonly #sent = new Map<string, DcSentMessage>();
  readonly #files = new Map<string, FakeFile>();
  readonly #dmChannels = new Map<string, string>();
  readonly #interactions = new Map<string, string>();
  readonly #sessions = new Map<string, Session>();
  readonly #failures: {
    route: RegExp;
    status: number;
    code: number;
    message: string;
    retryAfter?: number;
  }[] = [];
  #live: Session | undefined;
  #lastSnowflake = 0n;
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #wss = new WebSocketServer({ noServer: true });
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
    this.#server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://fake').pathname !== '/gateway') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#gateway(ws));
    });
  }

  /** Starts the fake on 127.0.0.1 (a free port). */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** What to give discord.js's `rest.api` (`[channels.discord] api_url`). */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  /** Whether a bot is connected to the gateway with a session. */
  get connected(): boolean {
    return this.#live?.socket !== undefined;
  }

  /** A new snowflake, later than every one before (Discord's ids grow with time). */
  snowflake(): string {
    let next = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    if (next <= this.#lastSnowflake) next = this.#lastSnowflake + 1n;
    this.#lastSnowflake = next;
    return String(next);
  }

  /** The DM channel between the bot and a user (made on first use, as Discord does). */
  dmChannel(userId: string): string {
    let id = this.#dmChannels.get(userId);
    if (id === undefined) {
      id = this.snowflake();
      this.#dmChannels.set(userId, id);
    }
    return id;
  }

  /** A person sends a message; dispatched as MESSAGE_CREATE when the bot is connected. */
  message(input: FakeDiscordMessage): DcMessage {
    const channelId = input.channel?.id ?? this.dmChannel(input.author.id);
    const author: DcUser = {
      id: input.author.id,
      username: input.author.username ?? `user${input.author.id.slice(-4)}`,
      global_name: null,
      discriminator: '0',
      avatar: null,
    };
    const id = this.snowflake();
    const replied =
      input.replyTo !== undefined ? this.#history(channelId).find((m) => m.id === input.replyTo) : undefined;
    const message: DcMessage = {
      ...this.#base(id, channelId, author),
      ...(input.channel ? { guild_id: input.channel.guildId } : {}),
      content: input.mentionBot ? `<@${this.bot.id}> ${input.content}` : input.content,
      mentions: [...(input.mentionBot ? [this.bot] : []), ...(replied ? [replied.author] : [])],
      attachments: (input.files ?? []).map((file) => this.#attach(channelId, file)),
      ...(replied
        ? {
            type: 19,
            message_reference: { message_id: replied.id, channel_id: channelId },
            referenced_message: replied,
          }
        : {}),
    };
    this.#history(channelId).push(message);
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
    const id = this.snowflake();
    const token = `interaction-token-${randomBytes(12).toString('hex')}`;
    this.#interactions.set(id, token);
    const sent = this.#history(input.channelId).find((m) => m.id === input.messageId);
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
    const session = this.#live;
    if (!session) return; // no session: Discord delivers nothing, and a new session replays nothing
    const payload: DcGatewayPayload = { op: 0, t, s: ++session.seq, d };
    session.log.push(payload);
    session.socket?.send(JSON.stringify(payload));
  }

  /** Closes the bot's gateway connection; `resumable: false` also forgets its session (op 9 on RESUME). */
  dropGateway(options: { resumable: boolean }): void {
    const session = this.#live;
    if (!session) return;
    if (!options.resumable) {
      this.#sessions.delete(session.id);
      this.#live = undefined;
    }
    session.socket?.close(4000, 'Unknown error');
    session.socket = undefined;
  }

  /** The next REST call whose "METHOD /path" matches fails with this Discord error (429: retry_after seconds). */
  failNext(
    route: RegExp,
    error: { status: number; code?: number; message: string; retryAfter?: number },
  ): void {
    this.#failures.push({ route, code: error.code ?? 0, ...error });
  }

  /** Every message the bot sent, oldest first (edits applied; `history` has every text). */
  sent(channelId?: string): DcSentMessage[] {
    return [...this.#sent.values()].filter((m) => channelId === undefined || m.channelId === channelId);
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close').catch(() => {});
  }

  #history(channelId: string): DcMessage[] {
    let list = this.#messages.get(channelId);
    if (!list) {
      list = [];
      this.#messages.set(channelId, list);
    }
    return list;
  }

  /** Without the MESSAGE_CONTENT intent, a server message not mentioning the bot arrives empty (as on Discord). */
  #asSeen(message: DcMessage): DcMessage {
    const intents = this.#live?.intents ?? 0;
    if (intents & MESSAGE_CONTENT || message.guild_id === undefined) return message;
    if (message.mentions.some((user) => user.id === this.bot.id)) return message;
    return { ...message, content: '', attachments: [], embeds: [], components: [] };
  }

  #base(id: string, channelId: string, author: DcUser): DcMessage {
    return {
      id,
      channel_id: channelId,
      author,
      content: '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
    };
  }

  #attach(channelId: string, file: FakeFile): DcAttachment {
    const id = this.snowflake();
    this.#files.set(`${channelId}/${id}/${file.name}`, file);
    const url = `${this.url}/cdn/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
    return {
      id,
      filename: file.name,
      size: file.bytes.byteLength,
      url,
      proxy_url: url,
      ...(file.contentType ? { content_type: file.contentType } : {}),
    };
  }

  // --- the gateway ---------------------------------------------------------------------------

  #gateway(ws: WebSocket): void {
    const send = (payload: DcGatewayPayload) => ws.send(JSON.stringify(payload));
    send({ op: 10, d: { heartbeat_interval: HEARTBEAT_MS }, s: null, t: null });
    let session: Session | undefined;
    ws.on('message', (raw: RawData) => {
      let payload: DcGatewayPayload;
      try {
        payload = JSON.parse(raw.toString()) as DcGatewayPayload;
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case 1:
          send({ op: 11, d: null, s: null, t: null });
          return;
        case 2: {
          const d = payload.d as { token?: string; intents?: number };
          if (d.token !== this.token) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          this.identifies.push(d.intents ?? 0);
          if (this.#live) this.#live.socket = undefined;
          session = {
            id: randomBytes(16).toString('hex'),
            intents: d.intents ?? 0,
            seq: 0,
            log: [],
            socket: ws,
          };
          this.#sessions.set(session.id, session);
          this.#live = session;
          this.dispatch('READY', {
            v: 10,
            user: this.bot,
            guilds: [],
            session_id: session.id,
            resume_gateway_url: `${this.url.replace(/^http/, 'ws')}/gateway`,
            shard: [0, 1],
            application: { id: this.bot.id, flags: 0 },
          });
          return;
        }
        case 6: {
          const d = payload.d as { token?: string; session_id?: string; seq?: number };
          const known = d.session_id !== undefined ? this.#sessions.get(d.session_id) : undefined;
          if (d.token !== this.token || !known) {
            send({ op: 9, d: false, s: null, t: null });
            return;
          }
          session = known;
          known.socket = ws;
          this.#live = known;
          for (const missed of known.log) if ((missed.s ?? 0) > (d.seq ?? 0)) send(missed);
          this.dispatch('RESUMED', null);
          return;
        }
        default:
          return;
      }
    });
    ws.on('close', () => {
      if (session?.socket === ws) session.socket = undefined;
    });
  }

  // --- REST ----------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readRaw(req);
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      if (res.writableEnded) return;
      if (body === undefined) {
        res.writeHead(status, headers).end();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/cdn/attachments/')) return this.#download(url.pathname, res);
    const match = /^\/api\/v10(\/.*)$/.exec(url.pathname);
    if (!match) return answer(404, { message: '404: Not Found', code: 0 });
    // discord.js escapes "@" in "users/@me" as %40.
    const path = decodeURIComponent(match[1]!);
    const method = req.method ?? 'GET';
    const { body, files } = await parseRequest(raw, req.headers['content-type'] ?? '');
    const call: DcCall = { method, path: `${path}${url.search}`, body, status: 200 };
    this.calls.push(call);
    const fail = (status: number, code: number, message: string, extra: Record<string, unknown> = {}) => {
      call.status = status;
      answer(status, { message, code, ...extra });
    };
    const interaction = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (!interaction && req.headers.authorization !== `Bot ${this.token}`)
      return fail(401, 0, '401: Unauthorized');
    const injected = this.#failures.findIndex((f) => f.route.test(`${method} ${path}`));
    if (injected >= 0) {
      const [f] = this.#failures.splice(injected, 1);
      if (f!.status === 429) {
        const after = f!.retryAfter ?? 1;
        call.status = 429;
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: after, global: false, code: 0 },
          { 'retry-after': String(after), 'x-ratelimit-scope': 'user' },
        );
      }
      return fail(f!.status, f!.code, f!.message);
    }
    const ok = (result: unknown) => answer(200, result);
    if (method === 'GET' && path === '/users/@me') return ok(this.bot);
    if (method === 'GET' && path === '/gateway/bot') {
      return ok({
        url: `${this.url.replace(/^http/, 'ws')}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = String((body as { recipient_id?: unknown }).recipient_id ?? '');
      if (!/^\d+$/.test(recipient)) return fail(400, 50035, 'Invalid Form Body');
      return ok({ id: this.dmChannel(recipient), type: 1, recipients: [{ id: recipient }] });
    }
    if (interaction) {
      const [, id, token] = interaction as unknown as [string, string, string];
      if (this.#interactions.get(id) !== token) return fail(404, 10062, 'Unknown interaction');
      this.#interactions.delete(id); // an interaction is answered once
      const { type, data } = body as { type: number; data?: unknown };
      this.callbacks.push({ interactionId: id, type, ...(data !== undefined ? { data } : {}) });
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
      const found = this.#history(channelId)
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
      };
      const content = b.content ?? '';
      if (content.trim() === '' && files.length === 0)
        return fail(400, 50006, 'Cannot send an empty message');
      if (content.length > MAX_CONTENT) return fail(400, 50035, 'Invalid Form Body');
      const message: DcMessage = {
        ...this.#base(this.snowflake(), channelId, this.bot),
        content,
        attachments: files.map((file) => this.#attach(channelId, file)),
        ...(b.components ? { components: b.components } : {}),
        ...(b.flags !== undefined ? { flags: b.flags } : {}),
      };
      this.#history(channelId).push(message);
      this.#sent.set(message.id, {
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
      const sent = this.#sent.get(messageId);
      const message = this.#history(channelId).find((m) => m.id === messageId);
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
    const file = this.#files.get(key);
    this.calls.push({ method: 'GET', path: pathname, body: undefined, status: file ? 200 : 404 });
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

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A JSON body, or a multipart form (payload_json and files[n]) read with the platform's own parser. */
async function parseRequest(raw: Buffer, type: string): Promise<{ body: unknown; files: FakeFile[] }> {
  if (raw.byteLength === 0) return { body: {}, files: [] };
  if (type.includes('application/json')) return { body: JSON.parse(raw.toString('utf8')), files: [] };
  if (!type.includes('multipart/form-data')) return { body: {}, files: [] };
  const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
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
