/**
 * The full agent configuration schema: the core sections (agent-schema.ts) with `[scheduler]`
 * and `[channels]` between them. Exported from `@oxydra/types/config-full`, not from the
 * package's root, so a command that reads neither section (`oxydra run`) never builds their
 * schemas; the loader parses with it when a configuration names one of them or the core schema
 * rejects it (so every error is this schema's).
 */
import { z } from 'zod';
import { once } from '../once.js';
import { agentConfigShape, checkAgentConfig } from './agent-schema.js';
import { channelsSchema } from './channels-schema.js';
import { schedulerNotifyProblem, schedulerSchema } from './scheduler-schema.js';

/**
 * Made at import, cheaply: each section of its shape (and so the `[scheduler]` and `[channels]`
 * schemas) is built at its first parse or `.shape` read (agentConfigShape), so a program that
 * imports `oxydra/kernel` and never validates a configuration itself builds none of them.
 */
export const agentConfigSchema = z
  .strictObject(
    agentConfigShape({
      scheduler: once(() => schedulerSchema().prefault({})),
      channels: once(() => channelsSchema().prefault({})),
    }),
  )
  .superRefine((config, ctx) =>
    checkAgentConfig(config, ctx, () => {
      const { plugin, ...builtinChannels } = config.channels;
      const notifyProblem = schedulerNotifyProblem(config.scheduler.notify, builtinChannels, plugin);
      if (notifyProblem) {
        const path = ['scheduler', 'notify'];
        ctx.addIssue({ code: 'custom', path, input: config.scheduler.notify, message: notifyProblem });
      }
    }),
  );

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/**
 * What each section of the full schema makes of a configuration that leaves it out (`persona`,
 * optional, makes nothing): the source of section-defaults.ts (scripts/update-section-defaults.mjs)
 * and what its test compares it with.
 */
export function sectionDefaultsFromSchema(): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(agentConfigSchema.shape)) {
    const value: unknown = schema.parse(undefined);
    if (value !== undefined) defaults[key] = value;
  }
  return defaults;
}
