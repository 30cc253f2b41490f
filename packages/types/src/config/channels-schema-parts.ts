/**
 * What every `[channels.<platform>]` schema shares (the sender entries, the agent key, the form
 * of a `*_env` key), in a file of its own so each platform's schema file and `channels-schema.ts`
 * (which gathers them) import it without importing each other.
 */
import { z } from 'zod';
import { once } from '../once.js';

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `[[channels.<platform>.senders]]`: one person, by the platform's stable ids (whose form each
 * platform checks with `id`). The same shape on every platform, so the sender policy is one.
 */
export function channelSenderSchema(platform: string, id: z.ZodString) {
  return z.strictObject({
    platform_ids: z
      .array(id)
      .min(1)
      .describe(`the person's ${platform} ids (as text); one person may have several`),
    display_name: z.string().min(1).max(100).optional().describe('a name for logs'),
    user: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'use 1-128 letters, digits, ".", "_", ":", "@" or "-"')
      .optional()
      .describe(
        `the kernel user the sender acts as (budgets, permissions, memory); default "${platform.toLowerCase()}-<first platform id>"`,
      ),
  });
}

/** One platform id maps to one user: a second listing of it is a config error (every platform). */
export function checkSenderIds(
  senders: readonly { platform_ids: readonly string[] }[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, number>();
  senders.forEach((sender, i) => {
    for (const id of sender.platform_ids) {
      const first = seen.get(id);
      if (first !== undefined && first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['senders', i, 'platform_ids'],
          message: `platform id ${id} is listed in senders ${first} and ${i}; one id maps to one user`,
        });
      }
      seen.set(id, i);
    }
  });
}

/**
 * `unknown_senders`, every platform's (its sender section): what a stranger's direct message
 * gets. Group messages from strangers are never answered.
 */
export const channelUnknownSendersSchema = once(() =>
  z
    .enum(['ignore', 'pair'])
    .default('ignore')
    .describe(
      'what a direct message from a sender not in senders gets: "ignore" (nothing), or "pair" (a one-time code the owner approves with `oxydra channels pair`)',
    ),
);

/** `max_file_bytes`, every platform's: the largest file taken from a chat or sent to it. */
export const channelMaxFileBytesSchema = once(() =>
  z
    .int()
    .min(1)
    .max(2 * 1024 * 1024 * 1024)
    .default(20 * 1024 * 1024)
    .describe(
      'the largest file taken from a chat (saved under inbox/<channel>/ in the workspace) or sent to it, in bytes; larger ones are refused without being read',
    ),
);

/**
 * `max_concurrent_turns`, every platform's: how many of the channel's turns run at once, across
 * its chats. A chat's own messages run one at a time anyway; this bounds what many chats at once
 * cost the process (memory, CPU, model calls in flight). More wait in arrival order, their "…"
 * already shown; a restart runs a waiting one again (its model was never asked).
 */
const channelMaxConcurrentTurnsSchema = once(() =>
  z
    .int()
    .min(1)
    .max(1000)
    .default(16)
    .describe(
      "how many of this channel's answers are written at once, across its chats; more wait, served in turn across users (each user's own limit, [gateway] max_concurrent_turns_per_user, applies too; a turn waiting on it holds no slot of the channel)",
    ),
);

/**
 * `download_timeout_secs`, every platform's: how long one file a person sent may take to
 * download. A file host that sends its headers and then stalls would otherwise hold the
 * conversation until the process stops.
 */
const channelDownloadTimeoutSchema = once(() =>
  z
    .int()
    .min(1)
    .max(86_400)
    .default(300)
    .describe(
      'how long one file taken from a chat may take to download, in seconds; a slower one is refused ("send it again") and its download ended',
    ),
);

/** The `agent` key every platform has. */
export const channelAgentSchema = once(() =>
  z.string().min(1).optional().describe('the `[agents.<name>]` answering; default: the default agent'),
);

/**
 * The keys of every `[channels.<platform>]` (and `[channels.plugin.<name>]`) that say what the
 * host does with the channel's messages: spread into each platform's schema, so a new host key
 * is added once.
 */
export const channelHostKeys = once(() => ({
  unknown_senders: channelUnknownSendersSchema(),
  max_file_bytes: channelMaxFileBytesSchema(),
  max_concurrent_turns: channelMaxConcurrentTurnsSchema(),
  download_timeout_secs: channelDownloadTimeoutSchema(),
  agent: channelAgentSchema(),
}));
