/**
 * The fake Slack's Web API (https://docs.slack.dev/reference/methods), as fake-slack.ts serves it
 * under /api/: auth.test, apps.connections.open, chat.postMessage, chat.update,
 * chat.postEphemeral, conversations.open (a person's direct message channel, "D" + user), files.getUploadURLExternal, the upload URL (/upload/v1/),
 * files.completeUploadExternal, files.info, and url_private_download (/files-pri/). Errors are
 * Slack's: HTTP 200 `{"ok": false, "error": "..."}`, or a failure a test queued (a 429 with
 * `Retry-After`). It keeps what the app sent (messages, ephemerals, files).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FailureQueue,
  jsonOrForm,
  multipartForm,
  readBodyBytes,
  retryAfterHeader,
  sendJson,
} from '../fake-http.js';
import type { SlackCall, SlackEphemeral, SlackSentMessage, SlackStoredFile } from './types.js';

const MAX_TEXT = 40_000;

/** A failure queued by failNext: an HTTP status (429 with retryAfter seconds), a Slack error, or no answer at all. */
export interface SlackFailure {
  method: string;
  status?: number;
  error?: string;
  retryAfter?: number;
  /** The request is never answered (a Slack that hangs); close() ends it. */
  stall?: boolean;
}

/** Who the fake is, and where it is. */
export interface SlackIdentity {
  botToken: string;
  appToken: string;
  botUserId: string;
  botId: string;
  teamId: string;
  botName: string;
  /** Where url_private points (default: the fake itself). */
  filesUrl: string | undefined;
  /** The fake's base URL (known once it listens). */
  url: () => string;
  /** apps.connections.open's answer: a Socket Mode URL. */
  openSocketUrl: () => string;
}

/** Ids and message timestamps, shared by the people's side and the API's. */
export class SlackIds {
  /** How many ids were handed out (trigger ids count too). */
  count = 0;
  #clock = 0;

  id(prefix: string): string {
    this.count += 1;
    return `${prefix}0FAKE${String(this.count).padStart(5, '0')}`;
  }

  /** Slack's message timestamps: unique, increasing, "<seconds>.<6 digits>". */
  ts(): string {
    const now = Date.now() * 1000;
    this.#clock = Math.max(this.#clock + 1, now);
    return `${Math.floor(this.#clock / 1e6)}.${String(this.#clock % 1e6).padStart(6, '0')}`;
  }
}

export class SlackWebApi {
  readonly sent: SlackSentMessage[] = [];
  readonly ephemerals: SlackEphemeral[] = [];
  readonly files = new Map<string, SlackStoredFile>();
  readonly failures = new FailureQueue<SlackFailure>();

  constructor(
    private readonly me: SlackIdentity,
    private readonly ids: SlackIds,
    private readonly calls: SlackCall[],
  ) {}

  fileObject(file: SlackStoredFile): Record<string, unknown> {
    const base = `${this.me.filesUrl ?? this.me.url()}/files-pri/${this.me.teamId}-${file.id}`;
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
      url_private: `${base}/${encodeURIComponent(file.name)}`,
      url_private_download: `${base}/download/${encodeURIComponent(file.name)}`,
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBodyBytes(req);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      sendJson(res, status, body, headers, 'application/json; charset=utf-8');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (url.pathname.startsWith('/upload/v1/'))
      return this.#upload(url, await uploadedBytes(raw, req.headers['content-type'] ?? ''), res);
    if (url.pathname.startsWith('/files-pri/')) return this.#download(url, bearer, res);
    const method = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname)?.[1];
    if (!method) return json(404, { ok: false, error: 'not_found' });
    const params: Record<string, unknown> = {
      ...Object.fromEntries(url.searchParams),
      ...jsonOrForm(raw, req.headers['content-type'] ?? ''),
    };
    const token = bearer ?? (typeof params.token === 'string' ? params.token : undefined);
    const call: SlackCall = { method, params, ok: true, at: performance.now() };
    this.calls.push(call);
    const fail = (error: string, status = 200, headers: Record<string, string> = {}) => {
      call.ok = false;
      call.error = status === 200 ? error : `http_${status}`;
      json(status, { ok: false, error }, headers);
    };
    const expected = method === 'apps.connections.open' ? this.me.appToken : this.me.botToken;
    if (token === undefined) return fail('not_authed');
    if (token !== expected) return fail('invalid_auth');
    const f = this.failures.take((queued) => queued.method === method);
    if (f) {
      if (f.stall) return;
      if (f.status !== undefined && f.status !== 200)
        return fail(f.error ?? 'ratelimited', f.status, retryAfterHeader(f.retryAfter));
      return fail(f.error ?? 'internal_error');
    }
    const ok = (body: Record<string, unknown> = {}) => json(200, { ok: true, ...body });
    const str = (key: string) => (typeof params[key] === 'string' ? (params[key] as string) : undefined);
    switch (method) {
      case 'auth.test':
        return ok({
          url: 'https://fake.slack.com/',
          team: 'Fake Team',
          user: this.me.botName,
          team_id: this.me.teamId,
          user_id: this.me.botUserId,
          bot_id: this.me.botId,
          is_enterprise_install: false,
        });
      case 'apps.connections.open':
        return ok({ url: this.me.openSocketUrl() });
      case 'chat.postMessage': {
        const channel = str('channel');
        const text = str('text') ?? '';
        const blocks = jsonOf(params.blocks) as unknown[] | undefined;
        if (!channel) return fail('channel_not_found');
        if (text.trim() === '' && !blocks) return fail('no_text');
        if (text.length > MAX_TEXT) return fail('msg_too_long');
        const message: SlackSentMessage = {
          channel,
          ts: this.ids.ts(),
          text,
          history: [text],
          ...(str('thread_ts') !== undefined ? { threadTs: str('thread_ts')! } : {}),
          ...(blocks ? { blocks } : {}),
        };
        this.sent.push(message);
        return ok({ channel, ts: message.ts, message: this.#asMessage(message) });
      }
      case 'chat.update': {
        const message = this.sent.find((m) => m.channel === str('channel') && m.ts === str('ts'));
        const text = str('text') ?? '';
        if (!message) return fail('message_not_found');
        if (text.length > MAX_TEXT) return fail('msg_too_long');
        message.text = text;
        message.history.push(text);
        return ok({ channel: message.channel, ts: message.ts, text, message: this.#asMessage(message) });
      }
      case 'conversations.open': {
        // One person: their direct message channel with the bot, the one their messages come from.
        const users = str('users');
        if (!users) return fail('users_list_not_supplied');
        if (!/^[UW][A-Z0-9]+$/.test(users)) return fail('user_not_found');
        return ok({ no_op: true, already_open: true, channel: { id: `D${users}` } });
      }
      case 'chat.postEphemeral': {
        const channel = str('channel');
        const user = str('user');
        if (!channel || !user) return fail('channel_not_found');
        this.ephemerals.push({
          channel,
          user,
          text: str('text') ?? '',
          ...(str('thread_ts') !== undefined ? { threadTs: str('thread_ts')! } : {}),
        });
        return ok({ message_ts: this.ids.ts() });
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(params.length);
        if (!filename || !Number.isInteger(length) || length < 1) return fail('invalid_arguments');
        const file = {
          id: this.ids.id('F'),
          name: filename,
          mimetype: 'application/octet-stream',
          bytes: Buffer.alloc(0),
        };
        this.files.set(file.id, file);
        return ok({ upload_url: `${this.me.url()}/upload/v1/${file.id}`, file_id: file.id });
      }
      case 'files.completeUploadExternal': {
        const files = jsonOf(params.files) as { id?: string; title?: string }[] | undefined;
        const channel = str('channel_id');
        if (!Array.isArray(files) || files.length === 0) return fail('invalid_arguments');
        const done: Record<string, unknown>[] = [];
        for (const entry of files) {
          const file = entry.id !== undefined ? this.files.get(entry.id) : undefined;
          if (!file || file.bytes.length === 0) return fail('file_not_found');
          if (channel !== undefined) {
            file.channel = channel;
            if (str('thread_ts') !== undefined) file.threadTs = str('thread_ts')!;
            if (str('initial_comment') !== undefined) file.initialComment = str('initial_comment')!;
          }
          done.push({ ...this.fileObject(file), title: entry.title ?? file.name });
        }
        return ok({ files: done });
      }
      case 'files.info': {
        const file = this.files.get(str('file') ?? '');
        if (!file) return fail('file_not_found');
        return ok({ file: this.fileObject(file) });
      }
      default:
        return fail('unknown_method');
    }
  }

  /** The upload URL files.getUploadURLExternal gave: the file's bytes (the body, or its multipart file). */
  #upload(url: URL, raw: Buffer, res: ServerResponse): void {
    const file = this.files.get(url.pathname.slice('/upload/v1/'.length));
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    file.bytes = raw;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${raw.length}`);
  }

  /** url_private_download: the file to a request carrying the bot token, else Slack's login page. */
  #download(url: URL, bearer: string | undefined, res: ServerResponse): void {
    const authorized = bearer === this.me.botToken;
    this.calls.push({
      method: 'files-pri',
      params: { path: url.pathname },
      ok: authorized,
      at: performance.now(),
    });
    const id = /^\/files-pri\/[^-/]+-([^/]+)\//.exec(url.pathname)?.[1];
    const file = id !== undefined ? this.files.get(id) : undefined;
    if (!authorized) {
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
      user: this.me.botUserId,
      bot_id: this.me.botId,
      text: message.text,
      ts: message.ts,
      ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
      ...(message.blocks ? { blocks: message.blocks } : {}),
    };
  }
}

/** An upload's bytes: the raw body, or the file in a multipart form. */
async function uploadedBytes(raw: Buffer, type: string): Promise<Buffer> {
  if (!type.startsWith('multipart/form-data')) return raw;
  const form = await multipartForm(raw, type);
  for (const value of form.values())
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  return Buffer.alloc(0);
}

/** The WebClient posts forms with nested values as JSON text: parsed, or undefined when not JSON. */
function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
