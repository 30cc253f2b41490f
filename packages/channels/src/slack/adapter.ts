/**
 * The Slack adapter: the channel contract over Bolt (Slack's framework) and its WebClient.
 * Events come in by Socket Mode (a WebSocket Slack opens to us) or the Events API (signed POSTs
 * to Bolt's HTTPReceiver, which checks x-slack-signature and the timestamp's age, and answers
 * the url_verification challenge). Either way each delivery is answered only after the host
 * stored it (inbox.ts). Answers stream by chat.update; Slack's 429 `Retry-After` becomes a
 * ChannelRetryableError. Files go up with files.uploadV2 and come down from url_private_download
 * with the bot token, only from Slack's hosts. Text sent is escaped (`&`, `<`, `>`), so an answer
 * cannot ping @channel or hide a link. The tokens are taken out of every error.
 */
import type {
  Channel,
  ChannelAttachment,
  ChannelButton,
  ChannelCapabilities,
  ChannelFile,
  ChannelTarget,
  ChannelUpdate,
} from '@oxydra/types';
import type { App, HTTPReceiver, Logger, webApi } from '@slack/bolt';
import { boundedBodies } from './body-gate.js';
import { downloadSlackFile } from './download.js';
import { classify, scrubbingLogger, slackScrubber } from './errors.js';
import { parsePressId, type SlackBotIdentity, slackIncoming } from './events.js';
import { PushInbox } from './inbox.js';

export interface SlackOptions {
  /** The configured name ("slack"). */
  name: string;
  mode: 'socket' | 'http';
  botToken: string;
  /** Socket Mode's app-level token (xapp-). */
  appToken?: string;
  /** The Events API's signing secret (http mode). */
  signingSecret?: string;
  listen: { host: string; port: number; path: string };
  /** The Web API base ("https://slack.com/api/"). */
  apiUrl: string;
  maxMessageLength: number;
  /** Where Bolt's and the socket client's warnings go (scrubbed); default stderr. */
  log?: (line: string) => void;
  /** Each Web API call's bound; default REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

/**
 * A Web API call's bound. The WebClient's own default is none: a Slack that accepted a request
 * and never answered held the outbox (every answer of the channel) until the process stopped.
 * Room for an upload of a file of `max_file_bytes` (20 MB) on a slow link.
 */
const REQUEST_TIMEOUT_MS = 120_000;

/** chat.update is Tier 3 (about 50 a minute); Slack asks for about one message a second per channel. */
const EDIT_INTERVAL_MS = 1200;
/** Threads the bot wrote in, remembered so replies there speak to it (the newest kept). */
const MAX_THREADS = 10_000;
/** Slack serves url_private files from here, whatever the API's host. */
const SLACK_FILES_ORIGIN = 'https://files.slack.com';

export class SlackChannel implements Channel {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  readonly #o: SlackOptions;
  readonly #inbox = new PushInbox();
  readonly #threads = new Set<string>();
  readonly #scrub: (text: string) => string;
  #client: webApi.WebClient | undefined;
  #app: App | undefined;

  constructor(options: SlackOptions) {
    this.name = options.name;
    this.#o = options;
    this.#scrub = slackScrubber([options.botToken, options.appToken, options.signingSecret]);
    this.capabilities = {
      edit: true,
      maxMessageLength: options.maxMessageLength,
      minEditIntervalMs: EDIT_INTERVAL_MS,
      files: true,
    };
  }

  /**
   * Checks the tokens and opens no connection (`channels test`): auth.test with the bot token and,
   * in Socket Mode, apps.connections.open with the app token. Slack spreads a Socket Mode app's
   * events over its open connections, so a test that connected could take a running bot's.
   */
  async probe(): Promise<{ botName: string }> {
    const auth = await this.#authTest(await this.#webClient(this.#o.botToken));
    if (this.#o.mode === 'socket') {
      const app = await this.#webClient(this.#o.appToken!);
      await this.#call(() => app.apps.connections.open());
    }
    return { botName: `@${auth.user ?? auth.user_id}` };
  }

  async #webClient(token: string): Promise<webApi.WebClient> {
    const bolt = await import('@slack/bolt');
    // No retries inside the client: the host's outbox retries, and a 429 must reach it.
    return new bolt.webApi.WebClient(token, {
      slackApiUrl: this.#o.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: this.#o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      logger: this.#logger(),
    });
  }

  #logger() {
    return scrubbingLogger(
      this.#scrub,
      this.#o.log ?? ((line) => process.stderr.write(`${this.name}: ${line}\n`)),
    );
  }

  async #authTest(client: webApi.WebClient) {
    const auth = await this.#call(() => client.auth.test());
    if (!auth.user_id || !auth.bot_id)
      throw new Error('Slack auth.test: the token is not a bot token (xoxb-)');
    return { ...auth, user_id: auth.user_id, bot_id: auth.bot_id };
  }

  async start(): Promise<{ botName: string }> {
    const bolt = await import('@slack/bolt');
    const logger = this.#logger();
    const client = await this.#webClient(this.#o.botToken);
    this.#client = client;
    const auth = await this.#authTest(client);
    const bot: SlackBotIdentity = {
      userId: auth.user_id,
      botId: auth.bot_id,
      inThread: (channel, threadTs) => this.#threads.has(`${channel}:${threadTs}`),
    };
    const receiver =
      this.#o.mode === 'socket'
        ? await (await import('./socket-receiver.js')).StoredFirstSocketReceiver.create({
            appToken: this.#o.appToken!,
            apiUrl: this.#o.apiUrl,
            logger,
          })
        : this.#httpReceiver(bolt.HTTPReceiver, logger);
    const app = new bolt.App({
      receiver,
      logger,
      // Known from auth.test above: Bolt asks nothing more per event.
      authorize: async () => ({ botToken: this.#o.botToken, botId: bot.botId, botUserId: bot.userId }),
    });
    app.use(async (args) => {
      const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
      // An interaction is answered with an empty 200 (held by the receiver until we return).
      await ack?.();
      await this.#inbox.deliver(slackIncoming(args.body, bot));
    });
    // Our middleware answers every payload; Bolt's fallback would only log.
    app.error(async (error) => {
      throw new Error(this.#scrub((error as Error).message));
    });
    this.#app = app;
    try {
      await (this.#o.mode === 'socket'
        ? app.start()
        : app.start({ host: this.#o.listen.host, port: this.#o.listen.port }));
    } catch (error) {
      throw classify(error, this.#scrub);
    }
    return { botName: `@${auth.user ?? bot.userId}` };
  }

  receive(_cursor: string | undefined, signal: AbortSignal): Promise<ChannelUpdate[]> {
    // Slack pushes: what the host stored last needs no asking (acknowledge answered it).
    return this.#inbox.next(signal);
  }

  async acknowledge(cursor: string): Promise<void> {
    this.#inbox.acknowledge(cursor);
  }

  async send(target: ChannelTarget, text: string): Promise<{ messageId: string }> {
    const sent = await this.#call(() =>
      this.#api().chat.postMessage({
        channel: target.chatId,
        text: escapeText(text),
        ...threadOf(target),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    this.#wrote(target);
    return { messageId: sent.ts! };
  }

  async edit(target: ChannelTarget, messageId: string, text: string): Promise<void> {
    await this.#call(() =>
      this.#api().chat.update({ channel: target.chatId, ts: messageId, text: escapeText(text) }),
    );
  }

  async sendQuestion(
    target: ChannelTarget,
    text: string,
    buttons: ChannelButton[],
  ): Promise<{ messageId: string }> {
    const escaped = escapeText(text);
    const sent = await this.#call(() =>
      this.#api().chat.postMessage({
        channel: target.chatId,
        ...threadOf(target),
        text: escaped,
        unfurl_links: false,
        unfurl_media: false,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: escaped.slice(0, 3000) } },
          {
            type: 'actions',
            elements: buttons.slice(0, 25).map((button, i) => ({
              type: 'button' as const,
              action_id: `oxydra_button_${i}`,
              text: { type: 'plain_text' as const, text: button.label.slice(0, 75) },
              value: button.value,
            })),
          },
        ],
      }),
    );
    this.#wrote(target);
    return { messageId: sent.ts! };
  }

  /** The press was acknowledged with its delivery; a note is shown to the presser alone. */
  async answerButton(pressId: string, note?: string): Promise<void> {
    const press = parsePressId(pressId);
    if (!press || note === undefined) return;
    await this.#call(() =>
      this.#api().chat.postEphemeral({
        channel: press.channel,
        user: press.user,
        text: escapeText(note),
        ...(press.threadTs !== undefined ? { thread_ts: press.threadTs } : {}),
      }),
    );
  }

  /**
   * Uploads the file into the chat. Its message id is the file's id: Slack shares an uploaded
   * file into the channel afterwards and does not return the message's ts.
   */
  async sendFile(target: ChannelTarget, file: ChannelFile, caption?: string): Promise<{ messageId: string }> {
    const done = await this.#call(() =>
      this.#api().filesUploadV2({
        channel_id: target.chatId,
        ...threadOf(target),
        file: Buffer.from(file.bytes),
        filename: file.name,
        ...(caption !== undefined ? { initial_comment: escapeText(caption) } : {}),
      } as webApi.FilesUploadV2Arguments),
    );
    const uploaded = (done.files as { files?: { id?: string }[] }[])[0]?.files?.[0]?.id;
    if (!uploaded) throw new Error('Slack files.completeUploadExternal returned no file');
    this.#wrote(target);
    return { messageId: uploaded };
  }

  async fetchAttachment(
    attachment: ChannelAttachment,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    if (attachment.size !== undefined && attachment.size > maxBytes)
      throw new Error(`the file is ${attachment.size} bytes, over the limit of ${maxBytes}`);
    const info = await this.#call(() => this.#api().files.info({ file: attachment.id }));
    const url = info.file?.url_private_download ?? info.file?.url_private;
    if (!url) throw new Error(`Slack has no download URL for file ${attachment.id}`);
    // The bot token goes only to Slack: the API's own host, or Slack's file host.
    return downloadSlackFile(url, {
      id: attachment.id,
      token: this.#o.botToken,
      allowedOrigins: [new URL(this.#o.apiUrl).origin, SLACK_FILES_ORIGIN],
      maxBytes,
      signal,
      scrub: this.#scrub,
    });
  }

  /** The direct-message chat with a person (conversations.open opens it, or finds the one there is). */
  async openDirect(userId: string): Promise<string> {
    const opened = await this.#call(() => this.#api().conversations.open({ users: userId }));
    if (!opened.channel?.id) throw new Error(`Slack conversations.open: no channel for user ${userId}`);
    return opened.channel.id;
  }

  /** The Events API's receiver, reading at most MAX_READING request bodies at once (body-gate.ts). */
  #httpReceiver(Receiver: typeof HTTPReceiver, logger: Logger): HTTPReceiver {
    const receiver = new Receiver({
      signingSecret: this.#o.signingSecret!,
      endpoints: this.#o.listen.path,
      // The HTTP 200 waits for the listener, which waits for the store.
      processBeforeResponse: true,
      logger,
    });
    receiver.requestListener = boundedBodies(receiver.requestListener);
    return receiver;
  }

  async close(): Promise<void> {
    this.#inbox.close();
    await this.#app?.stop().catch(() => {});
  }

  #api(): webApi.WebClient {
    if (!this.#client) throw new Error('a Slack call before start()');
    return this.#client;
  }

  /** Remembers a thread the bot wrote in: a reply there speaks to it. */
  #wrote(target: ChannelTarget): void {
    if (target.threadId === undefined) return;
    const key = `${target.chatId}:${target.threadId}`;
    this.#threads.delete(key);
    this.#threads.add(key);
    if (this.#threads.size > MAX_THREADS) this.#threads.delete(this.#threads.values().next().value!);
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw classify(error, this.#scrub);
    }
  }
}

/** Slack's control characters in text (https://docs.slack.dev/messaging/formatting-message-text#escaping). */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function threadOf(target: ChannelTarget): { thread_ts?: string } {
  return target.threadId !== undefined ? { thread_ts: target.threadId } : {};
}
