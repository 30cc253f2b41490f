/**
 * A Bolt receiver for Socket Mode that answers each envelope only after Bolt's listeners are
 * done, as Bolt's HTTPReceiver does with `processBeforeResponse`. Bolt's own SocketModeReceiver
 * acknowledges an event before its listeners run; ours wait in the inbox until the host has
 * stored the update, so an envelope is acknowledged only once what it carried is stored (a
 * crash before that has Slack send it again). The connection itself (apps.connections.open,
 * hello, pings, reconnects) is Slack's SocketModeClient, the client Bolt's receiver wraps.
 */
import type { App, Logger, Receiver } from '@slack/bolt';
import type { SocketModeClient } from '@slack/socket-mode';

interface SlackEventArgs {
  ack: (response?: unknown) => Promise<void>;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

export class StoredFirstSocketReceiver implements Receiver {
  #app: App | undefined;

  private constructor(readonly client: SocketModeClient) {
    client.on('slack_event', (args: SlackEventArgs) => void this.#onEnvelope(args));
  }

  static async create(options: {
    appToken: string;
    apiUrl: string;
    logger: Logger;
  }): Promise<StoredFirstSocketReceiver> {
    const { SocketModeClient } = await import('@slack/socket-mode');
    return new StoredFirstSocketReceiver(
      new SocketModeClient({
        appToken: options.appToken,
        logger: options.logger,
        clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 0 } },
      }),
    );
  }

  init(app: App): void {
    this.#app = app;
  }

  start(): Promise<unknown> {
    return this.client.start();
  }

  stop(): Promise<unknown> {
    return this.client.disconnect();
  }

  async #onEnvelope({ ack, body, retry_num, retry_reason }: SlackEventArgs): Promise<void> {
    let response: unknown;
    try {
      await this.#app?.processEvent({
        body,
        ack: async (payload?: unknown) => {
          response = payload;
        },
        ...(retry_num !== undefined ? { retryNum: retry_num } : {}),
        ...(retry_reason !== undefined ? { retryReason: retry_reason } : {}),
      });
      await ack(response);
    } catch {
      // Not stored (closing, or too many waiting): left unacknowledged, Slack sends it again.
    }
  }
}
