/**
 * A fake Slack on node:http, for testing a Slack app offline through its real libraries (Bolt's
 * WebClient pointed at `apiUrl`, its Socket Mode client at what apps.connections.open returns,
 * its HTTPReceiver sent signed Events API requests). The Web API methods follow the published
 * shapes (https://docs.slack.dev/reference/methods): auth.test, apps.connections.open,
 * chat.postMessage, chat.update, chat.postEphemeral, files.getUploadURLExternal, the upload URL,
 * files.completeUploadExternal, files.info and the url_private_download download. Errors are
 * Slack's: HTTP 200 `{"ok": false, "error": "..."}`, a 429 with `Retry-After`. A test plays the
 * people (`message`, `press`, `command`), delivering by Socket Mode (default) or, after `deliverTo`, by
 * signed POSTs retried as Slack retries; it reads what the app sent (`sent`, `ephemerals`,
 * `uploads`, `calls`) and makes calls fail (`failNext`).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postSignedToApp } from './signing.js';
import { type FakeEnvelope, FakeSocketMode, type FakeSocketModeOptions } from './socket-mode.js';

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  /** The bot's user id (mentions name it); default "U0FAKEBOT". */
  botUserId?: string;
  /** The bot's name (auth.test's `user`); default "oxydra". */
  botName?: string;
  /** Where url_private points (default: this fake); another server plays a host that is not Slack. */
  filesUrl?: string;
  /** Socket Mode's redelivery of unacknowledged envelopes (socket-mode.ts). */
  socket?: FakeSocketModeOptions;
}

/** One Web API call the app made. */
export interface SlackCall {
  method: string;
  params: Record<string, unknown>;
  ok: boolean;
  /** Slack's error code, or "http_<status>". */
  error?: string;
  /** When it came (performance.now()). */
  at: number;
}

/** A message the bot posted, with every text it had (edits). */
export interface SlackSentMessage {
  channel: string;
  ts: string;
  text: string;
  history: string[];
  threadTs?: string;
  blocks?: unknown[];
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  text: string;
  threadTs?: string;
}

export interface SlackStoredFile {
  id: string;
  name: string;
  mimetype: string;
  bytes: Buffer;
  /** Where it was shared by completeUploadExternal (uploads by the app). */
  channel?: string;
  threadTs?: string;
  initialComment?: string;
}

export interface FakePersonMessage {
  user: string;
  text: string;
  /** Default: the person's direct message channel with the bot ("D" + user). */
  channel?: string;
  /** "im" for a direct message channel, else "channel". */
  channelType?: 'im' | 'channel' | 'group' | 'mpim';
  threadTs?: string;
  /** Who wrote the thread's first message (Slack's parent_user_id). */
  parentUserId?: string;
  /** Files the person attaches (from addFile). */
  files?: SlackStoredFile[];
  /** A message from a bot (bot_id set, subtype bot_message). */
  fromBot?: boolean;
}

const MAX_TEXT = 40_000;
/** Slack's retries of an Events API request that failed: up to 3, here without the minutes between. */
const HTTP_RETRIES = 3;

export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId = 'B0FAKEBOT';
  readonly teamId = 'T0FAKETEAM';
  /** Every Web API call, in order. */
  readonly calls: SlackCall[] = [];
  /** Every Events API / interactivity POST to the app: its status (0: no answer). */
  readonly posts: { eventId: string; status: number }[] = [];
  readonly socket: FakeSocketMode;
  readonly #botName: string;
  readonly #filesUrl: string | undefined;
  readonly #payloads = new Map<string, Record<string, unknown>>();
  readonly #sent: SlackSentMessage[] = [];
  readonly #ephemerals: SlackEphemeral[] = [];
  readonly #files = new Map<string, SlackStoredFile>();
  readonly #failures: { method: string; status?: number; error?: string; retryAfter?: number }[] = [];
  #deliverTo: { url: string; secret: string } | undefined;
  #clock = 0;
  #ids = 0;
  #server = createServer((req, res) => void this.#handle(req, res));
  url = '';

  private constructor(options: FakeSlackOptions) {
    this.botToken = options.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-fake-app-token';
    this.botUserId = options.botUserId ?? 'U0FAKEBOT';
    this.#botName = options.botName ?? 'oxydra';
    this.#filesUrl = options.filesUrl;
    this.socket = new FakeSocketMode(() => this.url, options.socket);
    this.#server.on('upgrade', (req, socket, head) => {
      if (!this.socket.upgrade(req, socket, head)) socket.destroy();
    });
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    fake.#server.listen(0, '127.0.0.1');
    await once(fake.#server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The Web API base to configure (`api_url`). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** Deliver by the Events API: signed POSTs to the app's Request URL (else by Socket Mode). */
  deliverTo(url: string, signingSecret: string): void {
    this.#deliverTo = { url, secret: signingSecret };
  }

  /** A file a person uploads, to attach to a message. */
  addFile(input: { name: string; mimetype: string; bytes: Uint8Array }): SlackStoredFile {
    const file = {
      id: this.#id('F'),
      name: input.name,
      mimetype: input.mimetype,
      bytes: Buffer.from(input.bytes),
    };
    this.#files.set(file.id, file);
    return file;
  }

  /**
   * A person writes; Slack sends the `message` event, and for a channel message mentioning the
   * bot also `app_mention` (as Slack does when both are subscribed). Resolves with its ts.
   */
  message(input: FakePersonMessage): { ts: string; eventIds: string[] } {
    const channelType = input.channelType ?? (input.channel === undefined ? 'im' : 'channel');
    const channel = input.channel ?? `D${input.user}`;
    const ts = this.#ts();
    const message: Record<string, unknown> = {
      type: 'message',
      user: input.user,
      text: input.text,
      ts,
      channel,
      channel_type: channelType,
      event_ts: ts,
      team: this.teamId,
      blocks: [{ type: 'rich_text', block_id: 'b1', elements: [] }],
      ...(input.threadTs !== undefined
        ? { thread_ts: input.threadTs, parent_user_id: input.parentUserId ?? input.user }
        : {}),
      ...(input.files?.length
        ? { subtype: 'file_share', files: input.files.map((f) => this.#fileObject(f)) }
        : {}),
      ...(input.fromBot ? { subtype: 'bot_message', bot_id: 'B0OTHERBOT' } : {}),
    };
    const eventIds = [this.#event(message)];
    if (channelType !== 'im' && input.text.includes(`<@${this.botUserId}>`)) {
      const { channel_type: _, subtype: __, ...rest } = message;
      eventIds.push(this.#event({ ...rest, type: 'app_mention' }));
    }
    return { ts, eventIds };
  }

  /** A person presses a button under a message the bot sent (a `block_actions` interaction). */
  press(input: { user: string; message: SlackSentMessage; value: string; actionId?: string }): void {
    const actionTs = this.#ts();
    const payload = {
      type: 'block_actions',
      user: {
        id: input.user,
        username: input.user.toLowerCase(),
        name: input.user.toLowerCase(),
        team_id: this.teamId,
      },
      api_app_id: 'A0FAKEAPP',
      token: 'verification-token',
      container: {
        type: 'message',
        message_ts: input.message.ts,
        channel_id: input.message.channel,
        is_ephemeral: false,
        ...(input.message.threadTs !== undefined ? { thread_ts: input.message.threadTs } : {}),
      },
      trigger_id: `${this.#ids + 1}.${actionTs.replace('.', '')}.fakeTrigger`,
      team: { id: this.teamId, domain: 'fake' },
      channel: { id: input.message.channel, name: 'fake-channel' },
      message: {
        type: 'message',
        user: this.botUserId,
        bot_id: this.botId,
        ts: input.message.ts,
        text: input.message.text,
        ...(input.message.blocks ? { blocks: input.message.blocks } : {}),
        ...(input.message.threadTs !== undefined ? { thread_ts: input.message.threadTs } : {}),
      },
      response_url: `${this.url}/actions/response`,
      actions: [
        {
          type: 'button',
          action_id: input.actionId ?? 'oxydra_button_0',
          block_id: 'b2',
          text: { type: 'plain_text', text: input.value },
          value: input.value,
          action_ts: actionTs,
        },
      ],
    };
    this.#ids += 1;
    this.#deliver('interactive', payload, payload.trigger_id);
  }

  /** A person types a slash command the app registered (`/new`), in a channel or a DM. */
  command(input: { user: string; command: string; text?: string; channel?: string }): string {
    const triggerId = `${this.#ids + 1}.${Date.now()}.fakeCommand`;
    this.#ids += 1;
    const channel = input.channel ?? `D${input.user}`;
    this.#deliver(
      'slash_commands',
      {
        token: 'verification-token',
        team_id: this.teamId,
        team_domain: 'fake',
        channel_id: channel,
        channel_name: channel.startsWith('D') ? 'directmessage' : 'fake-channel',
        user_id: input.user,
        user_name: input.user.toLowerCase(),
        command: input.command,
        text: input.text ?? '',
        api_app_id: 'A0FAKEAPP',
        is_enterprise_install: 'false',
        response_url: `${this.url}/commands/response`,
        trigger_id: triggerId,
      },
      triggerId,
    );
    return triggerId;
  }

  /** The next call of `method` fails: an HTTP status (429 with retryAfter seconds), or a Slack error. */
  failNext(method: string, failure: { status?: number; retryAfter?: number; error?: string }): void {
    this.#failures.push({ method, ...failure });
  }

  /** Messages the bot posted (edits applied; `history` has every text), oldest first. */
  sent(channel?: string): SlackSentMessage[] {
    return this.#sent.filter((m) => channel === undefined || m.channel === channel);
  }

  ephemerals(channel?: string): SlackEphemeral[] {
    return this.#ephemerals.filter((m) => channel === undefined || m.channel === channel);
  }

  /** Files the app uploaded and shared. */
  uploads(channel?: string): SlackStoredFile[] {
    return [...this.#files.values()].filter(
      (f) => f.channel !== undefined && (channel === undefined || f.channel === channel),
    );
  }

  /** Envelopes (Socket Mode) not acknowledged by the app. */
  get unacked(): FakeEnvelope[] {
    return this.socket.envelopes.filter((e) => !e.acked);
  }

  async close(): Promise<void> {
    this.socket.close();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close').catch(() => {});
  }

  #id(prefix: string): string {
    this.#ids += 1;
    return `${prefix}0FAKE${String(this.#ids).padStart(5, '0')}`;
  }

  /** Slack's message timestamps: unique, increasing, "<seconds>.<6 digits>". */
  #ts(): string {
    const now = Date.now() * 1000;
    this.#clock = Math.max(this.#clock + 1, now);
    return `${Math.floor(this.#clock / 1e6)}.${String(this.#clock % 1e6).padStart(6, '0')}`;
  }

  #event(event: Record<string, unknown>): string {
    const eventId = this.#id('Ev');
    this.#deliver(
      'events_api',
      {
        token: 'verification-token',
        team_id: this.teamId,
        api_app_id: 'A0FAKEAPP',
        event,
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          {
            enterprise_id: null,
            team_id: this.teamId,
            user_id: this.botUserId,
            is_bot: true,
            is_enterprise_install: false,
          },
        ],
        is_ext_shared_channel: false,
        event_context: `4-${eventId}`,
      },
      eventId,
    );
    return eventId;
  }

  /** What was delivered for an event_id (or an interaction's trigger_id): to replay it as Slack's retry. */
  delivered(eventId: string): Record<string, unknown> | undefined {
    return this.#payloads.get(eventId);
  }

  #deliver(type: FakeEnvelope['type'], payload: Record<string, unknown>, eventId: string): void {
    this.#payloads.set(eventId, payload);
    const target = this.#deliverTo;
    if (!target) {
      this.socket.send(type, payload);
      return;
    }
    // Slack retries a request that failed or was not answered with a 2xx, same event_id.
    void (async () => {
      for (let attempt = 0; attempt <= HTTP_RETRIES; attempt += 1) {
        const post = { eventId, status: 0 };
        this.posts.push(post);
        try {
          const response = await postSignedToApp(target.url, target.secret, payload, {
            ...(attempt > 0 ? { retryNum: attempt } : {}),
            signal: AbortSignal.timeout(10_000),
          });
          post.status = response.status;
          await response.arrayBuffer();
          if (response.ok) return;
        } catch {
          // No answer: retried below.
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
      }
    })();
  }

  #fileObject(file: SlackStoredFile): Record<string, unknown> {
    return {
      id: file.id,
      created: Math.floor(Date.now() / 1000),
      name: file.name,
      title: file.name,
      mimetype: file.mimetype,
      filetype: file.name.split('.').at(-1) ?? 'binary',
      size: file.bytes.length,
      mode: 'hosted',
      is_external: false,
      url_private: `${this.#filesUrl ?? this.url}/files-pri/${this.teamId}-${file.id}/${encodeURIComponent(file.name)}`,
      url_private_download: `${this.#filesUrl ?? this.url}/files-pri/${this.teamId}-${file.id}/download/${encodeURIComponent(file.name)}`,
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readRaw(req);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (url.pathname.startsWith('/upload/v1/'))
      return this.#upload(url, await uploadedBytes(raw, req.headers['content-type'] ?? ''), res);
    if (url.pathname.startsWith('/files-pri/')) return this.#download(url, bearer, res);
    const method = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname)?.[1];
    if (!method) return json(404, { ok: false, error: 'not_found' });
    const params: Record<string, unknown> = {
      ...Object.fromEntries(url.searchParams),
      ...parseBody(raw, req.headers['content-type'] ?? ''),
    };
    const token = bearer ?? (typeof params.token === 'string' ? params.token : undefined);
    const call: SlackCall = { method, params, ok: true, at: performance.now() };
    this.calls.push(call);
    const fail = (error: string, status = 200, headers: Record<string, string> = {}) => {
      call.ok = false;
      call.error = status === 200 ? error : `http_${status}`;
      json(status, { ok: false, error }, headers);
    };
    const expected = method === 'apps.connections.open' ? this.appToken : this.botToken;
    if (token === undefined) return fail('not_authed');
    if (token !== expected) return fail(method === 'apps.connections.open' ? 'invalid_auth' : 'invalid_auth');
    const injected = this.#failures.findIndex((f) => f.method === method);
    if (injected >= 0) {
      const [f] = this.#failures.splice(injected, 1);
      if (f!.status !== undefined && f!.status !== 200)
        return fail(
          f!.error ?? 'ratelimited',
          f!.status,
          f!.retryAfter !== undefined ? { 'retry-after': String(f!.retryAfter) } : {},
        );
      return fail(f!.error ?? 'internal_error');
    }
    const ok = (body: Record<string, unknown> = {}) => json(200, { ok: true, ...body });
    const str = (key: string) => (typeof params[key] === 'string' ? (params[key] as string) : undefined);
    switch (method) {
      case 'auth.test':
        return ok({
          url: 'https://fake.slack.com/',
          team: 'Fake Team',
          user: this.#botName,
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        });
      case 'apps.connections.open':
        return ok({ url: this.socket.openUrl() });
      case 'chat.postMessage': {
        const channel = str('channel');
        const text = str('text') ?? '';
        const blocks = jsonOf(params.blocks) as unknown[] | undefined;
        if (!channel) return fail('channel_not_found');
        if (text.trim() === '' && !blocks) return fail('no_text');
        if (text.length > MAX_TEXT) return fail('msg_too_long');
        const message: SlackSentMessage = {
          channel,
          ts: this.#ts(),
          text,
          history: [text],
          ...(str('thread_ts') !== undefined ? { threadTs: str('thread_ts')! } : {}),
          ...(blocks ? { blocks } : {}),
        };
        this.#sent.push(message);
        return ok({ channel, ts: message.ts, message: this.#asMessage(message) });
      }
      case 'chat.update': {
        const message = this.#sent.find((m) => m.channel === str('channel') && m.ts === str('ts'));
        const text = str('text') ?? '';
        if (!message) return fail('message_not_found');
        if (text.length > MAX_TEXT) return fail('msg_too_long');
        message.text = text;
        message.history.push(text);
        return ok({ channel: message.channel, ts: message.ts, text, message: this.#asMessage(message) });
      }
      case 'chat.postEphemeral': {
        const channel = str('channel');
        const user = str('user');
        if (!channel || !user) return fail('channel_not_found');
        this.#ephemerals.push({
          channel,
          user,
          text: str('text') ?? '',
          ...(str('thread_ts') !== undefined ? { threadTs: str('thread_ts')! } : {}),
        });
        return ok({ message_ts: this.#ts() });
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(params.length);
        if (!filename || !Number.isInteger(length) || length < 1) return fail('invalid_arguments');
        const file = {
          id: this.#id('F'),
          name: filename,
          mimetype: 'application/octet-stream',
          bytes: Buffer.alloc(0),
        };
        this.#files.set(file.id, file);
        return ok({ upload_url: `${this.url}/upload/v1/${file.id}`, file_id: file.id });
      }
      case 'files.completeUploadExternal': {
        const files = jsonOf(params.files) as { id?: string; title?: string }[] | undefined;
        const channel = str('channel_id');
        if (!Array.isArray(files) || files.length === 0) return fail('invalid_arguments');
        const done: Record<string, unknown>[] = [];
        for (const entry of files) {
          const file = entry.id !== undefined ? this.#files.get(entry.id) : undefined;
          if (!file || file.bytes.length === 0) return fail('file_not_found');
          if (channel !== undefined) {
            file.channel = channel;
            if (str('thread_ts') !== undefined) file.threadTs = str('thread_ts')!;
            if (str('initial_comment') !== undefined) file.initialComment = str('initial_comment')!;
          }
          done.push({ ...this.#fileObject(file), title: entry.title ?? file.name });
        }
        return ok({ files: done });
      }
      case 'files.info': {
        const file = this.#files.get(str('file') ?? '');
        if (!file) return fail('file_not_found');
        return ok({ file: this.#fileObject(file) });
      }
      default:
        return fail('unknown_method');
    }
  }

  /** The upload URL files.getUploadURLExternal gave: the file's bytes (the body, or its multipart file). */
  #upload(url: URL, raw: Buffer, res: ServerResponse): void {
    const file = this.#files.get(url.pathname.slice('/upload/v1/'.length));
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    file.bytes = raw;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${raw.length}`);
  }

  /** url_private_download: the file to a request carrying the bot token, else Slack's login page. */
  #download(url: URL, bearer: string | undefined, res: ServerResponse): void {
    this.calls.push({
      method: 'files-pri',
      params: { path: url.pathname },
      ok: bearer === this.botToken,
      at: performance.now(),
    });
    const id = /^\/files-pri\/[^-/]+-([^/]+)\//.exec(url.pathname)?.[1];
    const file = id !== undefined ? this.#files.get(id) : undefined;
    if (bearer !== this.botToken) {
      res.writeHead(302, { location: 'https://fake.slack.com/?redir=files' }).end();
      return;
    }
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res
      .writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length) })
      .end(file.bytes);
  }

  #asMessage(message: SlackSentMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: this.botUserId,
      bot_id: this.botId,
      text: message.text,
      ts: message.ts,
      ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
      ...(message.blocks ? { blocks: message.blocks } : {}),
    };
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

/** An upload's bytes: the raw body, or the file in a multipart form (parsed by fetch's own Request). */
async function uploadedBytes(raw: Buffer, type: string): Promise<Buffer> {
  if (!type.startsWith('multipart/form-data')) return raw;
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': type },
    body: raw,
  }).formData();
  for (const value of form.values())
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  return Buffer.alloc(0);
}

/** The WebClient posts forms (nested values as JSON text); JSON bodies are accepted too. */
function parseBody(raw: Buffer, type: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  const text = raw.toString('utf8');
  if (type.includes('application/json')) return JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(text));
}

function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
