/**
 * A fake Slack on node:http, for testing a Slack app offline through its real libraries (Bolt's
 * WebClient pointed at `apiUrl`, its Socket Mode client at what apps.connections.open returns,
 * its HTTPReceiver sent signed Events API requests). The Web API is web-api.ts, Socket Mode
 * socket-mode.ts, and the HTTP server the one every platform fake shares (../fake-http.ts).
 * Errors are Slack's: HTTP 200 `{"ok": false, "error": "..."}`, a 429 with `Retry-After`. A test plays the
 * people (`message`, `press`, `command`), delivering by Socket Mode (default) or, after `deliverTo`, by
 * signed POSTs retried as Slack retries; it reads what the app sent (`sent`, `ephemerals`,
 * `uploads`, `calls`) and makes calls fail (`failNext`).
 */
import { FakeHttpServer } from '../fake-http.js';
import { postSignedToApp } from './signing.js';
import { type FakeEnvelope, FakeSocketMode } from './socket-mode.js';
import type {
  FakePersonMessage,
  FakeSlackOptions,
  SlackCall,
  SlackEphemeral,
  SlackSentMessage,
  SlackStoredFile,
} from './types.js';
import { SlackIds, SlackWebApi } from './web-api.js';

export type * from './types.js';

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
  readonly #payloads = new Map<string, Record<string, unknown>>();
  readonly #ids = new SlackIds();
  readonly #api: SlackWebApi;
  readonly #http: FakeHttpServer;
  #deliverTo: { url: string; secret: string } | undefined;
  url = '';

  private constructor(options: FakeSlackOptions) {
    this.botToken = options.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-fake-app-token';
    this.botUserId = options.botUserId ?? 'U0FAKEBOT';
    this.socket = new FakeSocketMode(() => this.url, options.socket);
    this.#api = new SlackWebApi(
      {
        botToken: this.botToken,
        appToken: this.appToken,
        botUserId: this.botUserId,
        botId: this.botId,
        teamId: this.teamId,
        botName: options.botName ?? 'oxydra',
        filesUrl: options.filesUrl,
        url: () => this.url,
        openSocketUrl: () => this.socket.openUrl(),
      },
      this.#ids,
      this.calls,
    );
    this.#http = new FakeHttpServer(
      (req, res) => this.#api.handle(req, res),
      (req, socket, head) => {
        if (!this.socket.upgrade(req, socket, head)) socket.destroy();
      },
    );
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    fake.url = await fake.#http.listen();
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
      id: this.#ids.id('F'),
      name: input.name,
      mimetype: input.mimetype,
      bytes: Buffer.from(input.bytes),
    };
    this.#api.files.set(file.id, file);
    return file;
  }

  /**
   * A person writes; Slack sends the `message` event, and for a channel message mentioning the
   * bot also `app_mention` (as Slack does when both are subscribed). Resolves with its ts.
   */
  message(input: FakePersonMessage): { ts: string; eventIds: string[] } {
    const channelType = input.channelType ?? (input.channel === undefined ? 'im' : 'channel');
    const channel = input.channel ?? `D${input.user}`;
    const ts = this.#ids.ts();
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
        ? { subtype: 'file_share', files: input.files.map((f) => this.#api.fileObject(f)) }
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
    const actionTs = this.#ids.ts();
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
      trigger_id: `${this.#ids.count + 1}.${actionTs.replace('.', '')}.fakeTrigger`,
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
    this.#ids.count += 1;
    this.#deliver('interactive', payload, payload.trigger_id);
  }

  /** A person types a slash command the app registered (`/new`), in a channel or a DM. */
  command(input: { user: string; command: string; text?: string; channel?: string }): string {
    const triggerId = `${this.#ids.count + 1}.${Date.now()}.fakeCommand`;
    this.#ids.count += 1;
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
  failNext(
    method: string,
    failure: { status?: number; retryAfter?: number; error?: string; stall?: boolean },
  ): void {
    this.#api.failures.add({ method, ...failure });
  }

  /** Messages the bot posted (edits applied; `history` has every text), oldest first. */
  sent(channel?: string): SlackSentMessage[] {
    return this.#api.sent.filter((m) => channel === undefined || m.channel === channel);
  }

  ephemerals(channel?: string): SlackEphemeral[] {
    return this.#api.ephemerals.filter((m) => channel === undefined || m.channel === channel);
  }

  /** Files the app uploaded and shared. */
  uploads(channel?: string): SlackStoredFile[] {
    return [...this.#api.files.values()].filter(
      (f) => f.channel !== undefined && (channel === undefined || f.channel === channel),
    );
  }

  /** Envelopes (Socket Mode) not acknowledged by the app. */
  get unacked(): FakeEnvelope[] {
    return this.socket.envelopes.filter((e) => !e.acked);
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.#http.close();
  }

  #event(event: Record<string, unknown>): string {
    const eventId = this.#ids.id('Ev');
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
}
