/**
 * What every `[channels.<platform>]` schema shares (issue 34): the variable-name pattern for
 * secrets, the sender entry and its duplicate check, and the `agent` key. Its own file, so each
 * platform's schema file can import it and `channels-schema.ts` can import each platform's.
 */
import { z } from 'zod';

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

/** The `agent` key every platform has. */
export const channelAgentSchema = z
  .string()
  .min(1)
  .optional()
  .describe('the `[agents.<name>]` answering; default: the default agent');

export type ChannelSenderConfig = z.output<ReturnType<typeof channelSenderSchema>>;
