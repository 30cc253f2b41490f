/**
 * `[plugins]`: code that adds tools, context, evaluators, services and event handlers (ZoeyOS's
 * plugin model). Each `[plugins.load.<name>]` names where the plugin comes from — a path
 * (relative to the workspace) or an installed npm package — and its own configuration, which
 * the plugin's configSchema validates.
 */
import { z } from 'zod';
import { once } from '../once.js';

export const pluginEntrySchema = once(() =>
  z.strictObject({
    from: z
      .string()
      .min(1)
      .describe('a path (./plugins/git-context, relative to the workspace) or an installed npm package name'),
    enabled: z.boolean().default(true).describe('false: configured but not loaded'),
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("the plugin's own settings (checked by its configSchema)"),
  }),
);

export const pluginsSchema = once(() =>
  z.strictObject({
    load: z.record(z.string().min(1), pluginEntrySchema()).default({}).describe('plugins to load, by name'),
    context_timeout_ms: z
      .int()
      .positive()
      .default(500)
      .describe("each context provider's time budget before a model call (late ones are left out)"),
    evaluator_timeout_ms: z
      .int()
      .positive()
      .default(30_000)
      .describe('how long an evaluator may run after a turn before it is abandoned'),
  }),
);
