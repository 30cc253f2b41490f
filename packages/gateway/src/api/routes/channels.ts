/**
 * GET /api/v1/channels: each configured chat channel (issue 34) with its health, senders,
 * messages and outbox, read from the channel database that the process answering it writes
 * (`oxydra gateway` itself with [gateway] channels, or `oxydra channels run`). The gateway cannot
 * import the channels' package (the same layer): whoever starts it hands it the report
 * (`GatewayOptions.channels`; the CLI's is @oxydra/channels' channelReports). Admin only: it
 * shows who may talk and what could not be delivered.
 */
import { hostname } from 'node:os';
import type { ChannelReport } from '@oxydra/types';
import { z } from 'zod';
import { route } from '../define.js';

/** Reads every configured channel's report (never creating the channel database). */
export type ChannelReports = () => Promise<ChannelReport[]>;

const time = () => z.string().nullable().describe('ISO time');

const channelSchema = z
  .object({
    channel: z.string(),
    enabled: z.boolean(),
    agent: z.string().nullable().describe('the [agents.<name>] answering; null: the default agent'),
    senders: z.number().describe('listed senders ([[channels.<name>.senders]])'),
    sender_ids: z.number().describe('platform ids those senders have in all'),
    secrets: z.array(z.object({ key: z.string(), variable: z.string(), set: z.boolean() })),
    health: z
      .object({
        running: z.boolean().describe('a recent heartbeat and no clean stop'),
        bot_name: z.string().nullable(),
        pid: z.number(),
        host: z.string(),
        role: z
          .string()
          .nullable()
          .describe('what the process is: "oxydra gateway" or "oxydra channels run" (null: not recorded)'),
        this_process: z.boolean().describe("running, and answered by this gateway's own process"),
        started_at: z.string(),
        heartbeat_at: z.string(),
        heartbeat_age_secs: z.number(),
        stopped_at: time(),
        last_receive_at: time(),
        last_send_at: time(),
        last_error: z.string().nullable(),
        last_error_at: time(),
      })
      .nullable()
      .describe('null: no process has answered this channel in this workspace'),
    inbound: z
      .record(z.string(), z.number())
      .describe('stored messages by status (pending, running, answered, failed, stopped, interrupted)'),
    last_received_at: time(),
    outbox: z.object({
      unsent: z.number(),
      failed: z.number().describe('messages the platform refused for good'),
      recent_failures: z.array(
        z.object({
          key: z.string(),
          chat_id: z.string(),
          thread_id: z.string().nullable(),
          text: z.string().describe('the start of the text that was not delivered'),
          error: z.string(),
          failed_at: z.string(),
        }),
      ),
    }),
  })
  .meta({ id: 'Channel' });

/** The start of an undelivered text the list shows (the whole is in the channel database). */
const PREVIEW_CHARS = 200;

function channelJson(r: ChannelReport): z.infer<typeof channelSchema> {
  const h = r.health;
  return {
    channel: r.channel,
    enabled: r.enabled,
    agent: r.agent ?? null,
    senders: r.senders,
    sender_ids: r.senderIds,
    secrets: r.secrets,
    health: h
      ? {
          running: h.running,
          bot_name: h.botName ?? null,
          pid: h.pid,
          host: h.host,
          role: h.role ?? null,
          this_process: h.running && h.pid === process.pid && h.host === hostname(),
          started_at: h.startedAt,
          heartbeat_at: h.heartbeatAt,
          heartbeat_age_secs: h.heartbeatAgeSecs,
          stopped_at: h.stoppedAt ?? null,
          last_receive_at: h.lastReceiveAt ?? null,
          last_send_at: h.lastSendAt ?? null,
          last_error: h.lastError ?? null,
          last_error_at: h.lastErrorAt ?? null,
        }
      : null,
    inbound: { ...r.stats.inbound },
    last_received_at: r.stats.lastReceivedAt ?? null,
    outbox: {
      unsent: r.stats.unsent,
      failed: r.failures.total,
      recent_failures: r.failures.recent.map((f) => ({
        key: f.key,
        chat_id: f.chatId,
        thread_id: f.threadId ?? null,
        text: f.text.length > PREVIEW_CHARS ? `${f.text.slice(0, PREVIEW_CHARS)}…` : f.text,
        error: f.error,
        failed_at: f.failedAt,
      })),
    },
  };
}

export function channelRoutes(reports: ChannelReports) {
  return [
    route({
      method: 'get',
      path: '/channels',
      tag: 'channels',
      role: 'admin',
      summary: 'Chat channels: health, senders, messages and outbox',
      description:
        'Read from the channel database the process answering each channel writes (the gateway itself, or `oxydra channels run`; a heartbeat every few seconds); a workspace where no channel ran has empty counts and a null health.',
      response: z.object({ channels: z.array(channelSchema) }),
      handler: async () => ({ channels: (await reports()).map(channelJson) }),
    }),
  ];
}
