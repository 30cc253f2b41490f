/**
 * What is known of a running chat channel across processes (issue 34 item 4): the process that
 * answers it writes its health to the channel database every few seconds (a heartbeat, never per
 * message), and `oxydra channels status`, the gateway's /api/v1/channels and the dashboard read
 * it from there. Sends the platform refused for good are kept with their error, to be seen.
 */

/** One channel's health, as its process last wrote it. Times are ISO strings. */
export interface ChannelHealth {
  /** The bot's own name on the platform ("@oxydra_bot"). */
  botName?: string;
  /** The process answering the channel, and the machine it runs on. */
  pid: number;
  host: string;
  /** What the process is ("oxydra gateway", "oxydra channels run"), for the message refusing a second one. */
  role?: string;
  startedAt: string;
  /** When the process last wrote this (every few seconds while it runs). */
  heartbeatAt: string;
  /** Set when the process stopped cleanly; a process that died leaves only an old heartbeat. */
  stoppedAt?: string;
  /** The last receive from the platform that succeeded (with or without messages). */
  lastReceiveAt?: string;
  /** The last message sent or edited. */
  lastSendAt?: string;
  /** The last receive or send error (token-free, as the adapter words it) and when it happened. */
  lastError?: string;
  lastErrorAt?: string;
}

/** An outbox message the platform refused for good (a blocked bot, a chat gone). */
export interface ChannelFailure {
  key: string;
  chatId: string;
  threadId?: string;
  /** The text that was not delivered. */
  text: string;
  error: string;
  failedAt: string;
}
